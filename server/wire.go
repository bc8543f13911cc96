package server

import "context"

// The wire_*.go files hold, per room (staff, outreach, push, cards, help),
// the adapters between its domain and the others and the function that
// mounts its routes. build (server.go) makes the services in dependency
// order; New mounts the routes in order.

// StaffCount says how many staff users exist (start-up tells how to make
// the first admin when there are none).
func StaffCount(ctx context.Context, d *Deps) (int64, error) {
	return d.Staff.Count(ctx)
}
