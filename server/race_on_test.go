//go:build race

package server_test

// raceDetector says the tests run under the race detector, which keeps
// shadow memory for every page the program touches (its documentation:
// 5 to 10 times the memory), so resident memory says more about the
// detector than about the server.
const raceDetector = true
