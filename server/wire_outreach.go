package server

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/appui"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
)

// The outreach room: devices, rounds and card counts, the sync, the app.

// staffAuthenticator signs a tablet in as a staff member, with the staff
// service's errors turned into the ones the app shows.
func staffAuthenticator(st *staff.Service) outreach.Authenticator {
	return outreach.AuthenticatorFunc(func(ctx context.Context, email, password, code, client string) (outreach.User, error) {
		u, err := st.AuthenticateFrom(ctx, email, password, code, client)
		switch {
		case errors.Is(err, staff.ErrRateLimited):
			return outreach.User{}, outreach.ErrRateLimited
		case errors.Is(err, staff.ErrTOTPSetupRequired):
			return outreach.User{}, outreach.ErrSecondFactorSetup
		case errors.Is(err, staff.ErrCredentials), errors.Is(err, staff.ErrDisabled):
			return outreach.User{}, outreach.ErrSignIn
		case err != nil:
			return outreach.User{}, err
		}
		return outreach.User{ID: u.ID, Role: u.Role}, nil
	})
}

// staffDisabled says whether a tablet's staff member is disabled.
func staffDisabled(st *staff.Service) func(ctx context.Context, userID string) (bool, error) {
	return func(ctx context.Context, userID string) (bool, error) {
		u, err := st.Get(ctx, userID)
		if errors.Is(err, staff.ErrNotFound) {
			return false, nil // users are never deleted: an unknown one is not disabled
		}
		if err != nil {
			return false, err
		}
		return u.Disabled, nil
	}
}

// cardCounter adds synced card counts to the cards package's batches and
// turns its input errors into rejections the tablet shows.
type cardCounter struct{ cards *cards.Service }

func (c cardCounter) AddHandedOut(ctx context.Context, batch string, n int, day time.Time, key string) error {
	err := c.cards.AddHandedOut(ctx, batch, n, day, key)
	switch {
	case errors.Is(err, cards.ErrUnknownBatch), errors.Is(err, cards.ErrNotFound):
		return fault.InvalidField("batch", "app.error.batch")
	case errors.Is(err, cards.ErrInvalidCount):
		return fault.InvalidField("count", "app.error.count")
	}
	return err
}

func mountOutreach(app *fiber.App, d *Deps) error {
	syncer := outreach.NewSyncer(outreach.CaseIntake{Cases: d.Cases}, d.Rounds, d.Catalog, d.Sealer.Desk())
	h, err := appui.New(appui.Handler{
		Devices:   d.Devices,
		Syncer:    syncer,
		DeskKey:   d.Sealer.Desk().PublicKey,
		SentKeep:  d.Config.AppSentKeep,
		Catalog:   d.Catalog,
		View:      d.View,
		Log:       d.Log,
		ClientKey: d.ClientKey,
		Staff:     auth.Require(staff.RoleAdmin),
		CurrentUser: func(c *fiber.Ctx) (*view.User, string) {
			u := auth.CurrentUser(c)
			if u == nil {
				return nil, "nl"
			}
			lang := "nl"
			if u.Lang == "en" {
				lang = "en"
			}
			return &view.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: u.Role}, lang
		},
		CSRF: auth.CSRFToken,
		UserName: func(ctx context.Context, id string) string {
			if u, err := d.Staff.Get(ctx, id); err == nil {
				return u.DisplayName()
			}
			return ""
		},
		Audit: func(c *fiber.Ctx, deviceID string) {
			by := ""
			if u := auth.CurrentUser(c); u != nil {
				by = u.ID
			}
			if err := d.Audit.Record(c.UserContext(), audit.Entry{UserID: by, Action: audit.UserChange, Target: deviceID, Detail: "device.revoke"}); err != nil {
				d.Log.Error("audit device revocation", "err", err)
			}
		},
	})
	if err != nil {
		return err
	}
	h.Routes(app)
	return nil
}
