package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestPeriodicRunsAtStartAndEveryInterval: the one kind of background job
// runs once right after start when asked, then at every interval; with no
// interval it runs once and its goroutine ends; Stop waits for it.
func TestPeriodicRunsAtStartAndEveryInterval(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	once := make(chan struct{}, 4)
	p := &periodic{name: "test once", atStart: true, log: log, run: func(context.Context) error {
		once <- struct{}{}
		return nil
	}}
	p.Start(t.Context())
	<-once
	<-p.done // with no interval the job ends by itself
	p.Stop()
	if n := len(once); n != 0 {
		t.Errorf("a job without interval ran %d more times", n)
	}

	ran := make(chan error, 100)
	p = &periodic{name: "test every", every: 5 * time.Millisecond, atStart: true, log: log, run: func(context.Context) error {
		ran <- nil
		return errors.New("fails, and runs again")
	}}
	p.Start(t.Context())
	for range 3 { // at start, then twice on the ticker, failing each time
		<-ran
	}
	p.Stop()
	select {
	case <-p.done:
	default:
		t.Error("Stop returned before the job's goroutine ended")
	}
}
