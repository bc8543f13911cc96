package server

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/web/pushui"
)

// New cases of a sync tell staff together (cases.BatchNotifier).
var _ cases.BatchNotifier = (*push.Service)(nil)

// The push room: VAPID keys, subscriptions, the delivery queue and its
// sender, the morning summary, the staff notifications page.

func mountPush(app *fiber.App, d *Deps) error {
	h, err := pushui.New(pushui.Handler{Push: d.Push, View: d.View, Catalog: d.Catalog, Assets: d.Assets, Log: d.Log})
	if err != nil {
		return err
	}
	h.Routes(app)
	return nil
}

// staffDirectory adapts the staff service to the recipients push needs.
type staffDirectory struct{ s *staff.Service }

func (sd staffDirectory) Active(ctx context.Context) ([]push.Person, error) {
	users, err := sd.s.ListActive(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]push.Person, 0, len(users))
	for _, u := range users {
		out = append(out, push.Person{ID: u.ID, Role: u.Role, Lang: u.Lang, Disabled: u.Disabled})
	}
	return out, nil
}

// pushJob runs the sender loop and the summary ticker with the server.
type pushJob struct {
	p   *push.Service
	log *slog.Logger
}

func (j pushJob) Start(ctx context.Context) {
	if err := j.p.Start(ctx); err != nil {
		j.log.Error("push: start sender", "err", err)
	}
}

func (j pushJob) Stop() { j.p.Stop() }
