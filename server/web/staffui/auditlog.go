package staffui

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/web/view"
	"github.com/gehoord/gehoord/server/workdays"
)

type auditRow struct {
	audit.Entry
	User string
}

type auditPage struct {
	Rows    []auditRow
	Actions []string
	Users   []option
	Next    string // query of the next page, "" on the last
}

const auditPageSize = 100

// auditLog shows the audit log to admins, filtered by user, action, case
// and day range. Reading the log is itself logged.
func (h *Handler) auditLog(c *fiber.Ctx) error {
	u := CurrentUser(c)
	f := audit.Filter{UserID: c.Query("user"), Action: c.Query("action"), CaseID: c.Query("case"),
		Limit: auditPageSize + 1, Skip: c.QueryInt("skip", 0)}
	if f.Skip < 0 {
		f.Skip = 0
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("from"), workdays.Amsterdam); err == nil {
		f.From = d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("to"), workdays.Amsterdam); err == nil {
		f.To = d.AddDate(0, 0, 1)
	}
	entries, err := h.Audit.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	names, err := h.userNames(c)
	if err != nil {
		return err
	}
	p := auditPage{Actions: audit.Actions}
	for id, n := range names {
		p.Users = append(p.Users, option{Value: id, Label: n})
	}
	sortOptions(p.Users)
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		q := c.Request().URI().QueryArgs()
		args := fiber.AcquireArgs()
		defer fiber.ReleaseArgs(args)
		q.CopyTo(args)
		args.Set("skip", itoa(f.Skip+auditPageSize))
		p.Next = "?" + string(args.QueryString())
	}
	for _, e := range entries {
		p.Rows = append(p.Rows, auditRow{Entry: e, User: names[e.UserID]})
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.AuditView})
	form := map[string]string{"user": f.UserID, "action": f.Action, "case": f.CaseID, "from": c.Query("from"), "to": c.Query("to")}
	return h.render(c, fiber.StatusOK, "staff/audit", &view.Data{Form: form, Page: p})
}
