package server

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/staffui"
)

// The staff room: users, sessions, the audit log, the staff pages, and the
// retention job.

func wireStaff(ctx context.Context, d *Deps) error {
	d.Audit = audit.New(d.Store)
	d.Staff = staff.New(staff.Config{Store: d.Store, Sealer: d.Sealer, Audit: d.Audit, Logger: d.Log})
	idx := append(append(audit.Indexes(), staff.Indexes()...), cases.ThemeIndexes()...)
	if err := d.Store.EnsureIndexes(ctx, idx...); err != nil {
		return err
	}
	d.jobs = append(d.jobs, cases.NewRetention(d.Cases, d.Store, d.Config.RetentionDays, d.Log), &sessionSweeper{s: d.Staff})
	return nil
}

// mountStaff must come before every other group that uses staffui.Require:
// its Routes installs the session loader.
func mountStaff(app *fiber.App, d *Deps) error {
	staffui.New(staffui.Handler{
		Store: d.Store, Sealer: d.Sealer, Cases: d.Cases, Staff: d.Staff, Audit: d.Audit,
		View: d.View, Catalog: d.Catalog, Log: d.Log, Secure: d.Config.Secure(), ClientKey: d.ClientKey,
		SocialMap: d.SocialMap,
	}).Routes(app)
	return nil
}

// staffHeard records her "did you feel heard?" answer from the status page.
func staffHeard(d *Deps) func(c *fiber.Ctx, receipt string, yes bool, reason string) error {
	return func(c *fiber.Ctx, receipt string, yes bool, reason string) error {
		_, err := d.Cases.RecordHeard(c.UserContext(), receipt, yes, reason)
		var ve *cases.ValidationError
		switch {
		case errors.Is(err, cases.ErrAlreadyAnswered), errors.Is(err, cases.ErrNotClosed):
			return nil // a second click, or the desk reopened meanwhile: nothing to record
		case errors.As(err, &ve):
			return fiber.NewError(fiber.StatusUnprocessableEntity, "reason too long")
		}
		return err
	}
}

// sessionSweeper deletes expired staff sessions every few minutes (no TTL
// indexes in FerretDB v1).
type sessionSweeper struct {
	s      *staff.Service
	cancel context.CancelFunc
	done   chan struct{}
}

func (w *sessionSweeper) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = w.s.SweepSessions(ctx)
			}
		}
	}()
}

func (w *sessionSweeper) Stop() {
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
}
