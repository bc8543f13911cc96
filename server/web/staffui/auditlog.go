package staffui

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
	"github.com/gehoord/gehoord/server/workdays"
)

// auditRow is one entry as people read it: names, references and labels
// instead of ids and codes.
type auditRow struct {
	audit.Entry
	User       string
	UserKey    string // catalog key for the system or an unknown user
	ActionKey  string
	Reference  string
	TargetName string
	DetailKey  string // catalog key of a known detail, else Detail is shown as is
	// FromTo is "from → to" of a change in words.
	From, To string
}

type auditPage struct {
	Rows    []auditRow
	Actions []option
	Users   []option
	Next    string // query of the next page, "" on the last
	// NoCase: the case searched for does not exist.
	NoCase bool
}

const auditPageSize = 100

var referenceRe = regexp.MustCompile(`(?i)^\s*[a-z]{2}-\d{4}-\d+\s*$`)

// actionKey is the catalog key naming an audit action.
func actionKey(a string) string { return "staff.audit.act." + strings.ReplaceAll(a, ".", "_") }

// auditDetails are the details the log writes that have a name in words.
var auditDetails = map[string]bool{
	"denied": true, "api": true, "password": true, "password_after_reset": true, "rate_limited_client": true,
	"rate_limited_account": true, "create": true, "save": true, "add": true, "state": true, "assign": true,
	"priority": true, "close": true, "reopen": true, "message": true, "note": true, "extend": true, "referral": true,
	"theme": true, "unlink": true, "device.revoke": true, "dry_run": true, "run": true, "run_failed": true, "answer": true,
}

// auditLog shows the audit log to admins, filtered by user, action, case
// (its reference or id) and day range. Reading the log is itself logged.
func (h *Handler) auditLog(c *fiber.Ctx) error {
	u := auth.CurrentUser(c)
	ctx := c.UserContext()
	caseQ := strings.TrimSpace(c.Query("case"))
	f := audit.Filter{UserID: c.Query("user"), Action: c.Query("action"), CaseID: caseQ,
		Limit: auditPageSize + 1, Skip: c.QueryInt("skip", 0)}
	p := auditPage{}
	if referenceRe.MatchString(caseQ) {
		id, err := h.Cases.CaseIDOfReference(ctx, caseQ)
		switch {
		case errors.Is(err, cases.ErrNotFound):
			p.NoCase = true
		case err != nil:
			return err
		}
		f.CaseID = id
	}
	if f.Skip < 0 {
		f.Skip = 0
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("from"), workdays.Amsterdam); err == nil {
		f.From = d
	}
	if d, err := time.ParseInLocation("2006-01-02", c.Query("to"), workdays.Amsterdam); err == nil {
		f.To = d.AddDate(0, 0, 1)
	}
	var entries []audit.Entry
	if !p.NoCase {
		var err error
		if entries, err = h.Audit.List(ctx, f); err != nil {
			return err
		}
	}
	names, err := h.userNames(c)
	if err != nil {
		return err
	}
	for _, a := range audit.Actions {
		p.Actions = append(p.Actions, option{Value: a, Label: h.t(c, actionKey(a))})
	}
	sortOptions(p.Actions)
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
	var ids []string
	for _, e := range entries {
		if e.CaseID != "" {
			ids = append(ids, e.CaseID)
		}
	}
	refs, err := h.Cases.ReferencesOf(ctx, ids)
	if err != nil {
		return err
	}
	themes := map[string]string{}
	if ts, err := h.Cases.Themes(ctx); err == nil {
		for _, t := range ts {
			themes[t.ID] = t.Title
		}
	}
	for _, e := range entries {
		p.Rows = append(p.Rows, h.auditRow(c, e, names, refs, themes))
	}
	h.audit(c, audit.Entry{UserID: u.ID, Action: audit.AuditView})
	form := map[string]string{"user": f.UserID, "action": f.Action, "case": caseQ, "from": c.Query("from"), "to": c.Query("to")}
	return h.render(c, fiber.StatusOK, "staff/audit", &view.Data{Form: form, Page: p})
}

func (h *Handler) auditRow(c *fiber.Ctx, e audit.Entry, names, refs, themes map[string]string) auditRow {
	r := auditRow{Entry: e, ActionKey: actionKey(e.Action), Reference: refs[e.CaseID]}
	switch {
	case e.UserID == cases.ActorSystem:
		r.UserKey = "staff.audit.system"
	case names[e.UserID] != "":
		r.User = names[e.UserID]
	default:
		r.UserKey = "staff.audit.unknown_user"
	}
	if e.Target != "" {
		switch {
		case names[e.Target] != "":
			r.TargetName = names[e.Target]
		case themes[e.Target] != "":
			r.TargetName = themes[e.Target]
		case e.Action == audit.RetentionRun:
			r.TargetName = h.t(c, "staff.retention.what_"+e.Target)
		case strings.HasPrefix(e.Action, "text."):
			r.TargetName = h.t(c, "staff.std."+e.Target)
			if r.TargetName == "staff.std."+e.Target {
				r.TargetName = e.Target
			}
		}
	}
	if auditDetails[e.Detail] {
		r.DetailKey = "staff.audit.detail." + strings.ReplaceAll(e.Detail, ".", "_")
	}
	r.From, r.To = h.changeWords(c, e.Detail, e.From, names), h.changeWords(c, e.Detail, e.To, names)
	return r
}

// changeWords names one side of a change: a state, a person, a priority.
func (h *Handler) changeWords(c *fiber.Ctx, what, v string, names map[string]string) string {
	switch what {
	case "state", "close", "reopen":
		if v == "" {
			return ""
		}
		return h.t(c, "state."+v)
	case "assign":
		if v == "" {
			return h.t(c, "staff.audit.nobody")
		}
		if n := names[v]; n != "" {
			return n
		}
	case "priority":
		return h.t(c, "staff.priority."+v)
	}
	return v
}

// caseChange is the audit entry of a change of a case: what changed and,
// for a state, an assignee or a priority, from what to what (read again
// after the change, so it is what the change left).
func (h *Handler) caseChange(c *fiber.Ctx, before *cases.Case, what string) audit.Entry {
	e := audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.CaseChange, CaseID: before.ID, Detail: what}
	after, err := h.Cases.Get(c.UserContext(), before.ID)
	if err != nil {
		return e
	}
	switch what {
	case "state", "close", "reopen":
		e.From, e.To = string(before.State), string(after.State)
	case "assign":
		e.From, e.To = before.AssignedTo, after.AssignedTo
	case "priority":
		e.From, e.To = strconv.Itoa(before.Priority), strconv.Itoa(after.Priority)
	}
	return e
}

// auditKeys are the catalog keys the audit page builds from an action or
// a detail (listed so the catalog test sees them; a test checks that every
// action and detail has one).
var auditKeys = []string{
	"staff.audit.detail.answer",
	"staff.audit.detail.run_failed", "staff.retention.what_identity", "staff.retention.what_content",
	"staff.audit.act.access_denied", "staff.audit.act.audit_view", "staff.audit.act.case_change",
	"staff.audit.act.case_contact", "staff.audit.act.case_view", "staff.audit.act.referral_change",
	"staff.audit.act.retention_dry_run", "staff.audit.act.retention_run", "staff.audit.act.signin",
	"staff.audit.act.signin_failed", "staff.audit.act.signout", "staff.audit.act.signout_all",
	"staff.audit.act.text_change", "staff.audit.act.theme_change", "staff.audit.act.theme_view",
	"staff.audit.act.totp_recovery_used", "staff.audit.act.totp_setup", "staff.audit.act.user_add",
	"staff.audit.act.user_change", "staff.audit.case_gone", "staff.audit.detail.add", "staff.audit.detail.api",
	"staff.audit.detail.assign", "staff.audit.detail.close", "staff.audit.detail.create",
	"staff.audit.detail.denied", "staff.audit.detail.device_revoke", "staff.audit.detail.dry_run",
	"staff.audit.detail.extend", "staff.audit.detail.message", "staff.audit.detail.note",
	"staff.audit.detail.password", "staff.audit.detail.password_after_reset", "staff.audit.detail.priority",
	"staff.audit.detail.rate_limited_account", "staff.audit.detail.rate_limited_client",
	"staff.audit.detail.referral", "staff.audit.detail.reopen", "staff.audit.detail.run",
	"staff.audit.detail.save", "staff.audit.detail.state", "staff.audit.detail.theme",
	"staff.audit.detail.unlink", "staff.audit.no_case", "staff.audit.nobody", "staff.audit.system",
	"staff.audit.unknown_user",
}
