package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/web/staffui"
	"github.com/gehoord/gehoord/server/workdays"
)

// The staff room: users, sessions, the audit log, the staff pages, and the
// retention job.

func mountStaff(app *fiber.App, d *Deps) {
	staffui.New(staffui.Handler{
		Store: d.Store, Cases: d.Cases, Staff: d.Staff, Audit: d.Audit,
		View: d.View, Catalog: d.Catalog, Log: d.Log, Secure: d.Config.Secure(), ClientKey: d.ClientKey,
		SocialMap: d.SocialMap, Recorded: recordedBy(d.Rounds, d.Devices), Retention: newRetention(d),
		ReportThreshold: d.Config.ReportThreshold, PilotStart: pilotStart(d.Config.PilotStart),
	}).Routes(app)
}

// newRetention is the retention job as configured (the daily job, and the
// staff page's dry run and "run now").
func newRetention(d *Deps) *cases.Retention {
	r := cases.NewRetention(d.Cases, d.Store, d.Config.RetentionDays, d.Log)
	r.ContentAfter = time.Duration(d.Config.ContentRetentionDays) * 24 * time.Hour
	r.Audit = d.Audit
	return r
}

// staffHeard records her "did you feel heard?" answer from the status page.
func staffHeard(d *Deps) func(c *fiber.Ctx, caseID string, yes bool, reason string) error {
	return func(c *fiber.Ctx, caseID string, yes bool, reason string) error {
		_, err := d.Cases.RecordHeardCase(c.UserContext(), caseID, yes, reason)
		switch {
		case errors.Is(err, cases.ErrAlreadyAnswered), errors.Is(err, cases.ErrNotClosed):
			return nil // a second click, or the desk reopened meanwhile: nothing to record
		case fault.CodeOf(err) == fault.Invalid:
			return fiber.NewError(fiber.StatusUnprocessableEntity, "reason too long")
		}
		return err
	}
}

// pilotStart is the configured first day of the pilot as an Amsterdam date.
func pilotStart(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, workdays.Amsterdam)
}
