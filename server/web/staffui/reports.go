package staffui

import (
	"bytes"
	"encoding/csv"
	"errors"
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/reports"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/view"
	"github.com/gehoord/gehoord/server/workdays"
)

// The coordinator's reports: a period's report, a theme report and the
// pilot's dashboard, each as a page (printable to A4) and as CSV of
// exactly the tables the page shows. Every export is audit-logged before
// it is sent.

type rRow struct {
	Label, Extra string
	Cells        []string
	Change       string
}

type rTable struct {
	ID, Title, How string
	Heads          []string
	Extra          string
	Change         bool
	Rows           []rRow
	Total          *rRow
	SVG            template.HTML
	// Share is "within of total" as a percentage, when published.
	Share      string
	ChangeHead string
	HTML       template.HTML
}

// tableHTML is one table and its chart, as every report page shows it:
// the chart (hidden from screen readers' table navigation by its own
// title and description) beside the table with every figure.
var tableHTML = template.Must(template.New("t").Parse(`<section class="report-block" id="t-{{.ID}}" aria-labelledby="h-{{.ID}}">
<h3 id="h-{{.ID}}">{{.Title}}</h3>
<p class="report-how">{{.How}}</p>
<div class="report-table">
<figure>{{.SVG}}</figure>
<table data-table="{{.ID}}"><caption class="sr-only">{{.Title}}</caption>
<thead><tr><th scope="col"><span class="sr-only">{{.Title}}</span></th>{{if .Extra}}<th scope="col">{{.Extra}}</th>{{end}}{{range .Heads}}<th scope="col" class="num">{{.}}</th>{{end}}{{if .Change}}<th scope="col" class="num">{{.ChangeHead}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><th scope="row">{{.Label}}</th>{{if $.Extra}}<td>{{.Extra}}</td>{{end}}{{range .Cells}}<td class="num">{{.}}</td>{{end}}{{if $.Change}}<td class="num">{{.Change}}</td>{{end}}</tr>
{{end}}{{with .Total}}<tr class="total"><th scope="row">{{.Label}}</th>{{if $.Extra}}<td></td>{{end}}{{range .Cells}}<td class="num">{{.}}</td>{{end}}{{if $.Change}}<td class="num">{{.Change}}</td>{{end}}</tr>{{end}}</tbody>
</table>
</div>
{{if .Share}}<p class="report-share">{{.Share}}</p>{{end}}
</section>`))

type rSection struct {
	ID, Title, Intro string
	Tables           []rTable
}

func (h *Handler) reportTables(c *fiber.Ctx, tbs []reports.Table, threshold int) []rTable {
	tr := func(key string, args ...any) string { return h.t(c, key, args...) }
	out := make([]rTable, 0, len(tbs))
	for _, tb := range tbs {
		rt := rTable{ID: tb.ID, Title: tr(tb.Title), How: tr(tb.How), Heads: reports.ColumnHeads(tb, tr), Change: tb.Change,
			SVG: template.HTML(reports.SVG(tb, threshold, tr))} // built from escaped parts only
		if tb.Extra != "" {
			rt.Extra = tr(tb.Extra)
		}
		row := func(r reports.Row) rRow {
			cells := reports.CSVRow(tb, r, threshold, tr)
			rr := rRow{Label: reports.RowLabel(r, tr), Extra: reports.RowExtra(r, tr)}
			for _, cl := range r.Cells {
				rr.Cells = append(rr.Cells, cl.Text(threshold))
			}
			if tb.Change {
				rr.Change = cells[len(cells)-1]
			}
			return rr
		}
		for _, r := range tb.Rows {
			rt.Rows = append(rt.Rows, row(r))
		}
		if tb.Total != nil {
			t := row(*tb.Total)
			rt.Total = &t
		}
		if len(tb.Rows) > 0 && tb.Rows[0].Key == "within" || tb.ID == "heard" {
			if pct, ok := reports.Share(tb); ok {
				rt.Share = h.t(c, "staff.reports.share", "pct", pct)
			}
		}
		rt.ChangeHead = tr("staff.reports.change")
		var b bytes.Buffer
		if err := tableHTML.Execute(&b, rt); err != nil {
			h.Log.Error("staffui: report table", "table", tb.ID, "err", err)
		}
		rt.HTML = template.HTML(b.String()) // html/template escaped it
		out = append(out, rt)
	}
	return out
}

func (h *Handler) sections(c *fiber.Ctx, ss []reports.Section, threshold int) []rSection {
	out := make([]rSection, 0, len(ss))
	for _, s := range ss {
		out = append(out, rSection{ID: s.ID, Title: h.t(c, s.Title), Intro: h.t(c, s.Intro), Tables: h.reportTables(c, s.Tables, threshold)})
	}
	return out
}

func (h *Handler) threshold() int {
	if h.ReportThreshold == 0 {
		return reports.DefaultThreshold
	}
	return max(h.ReportThreshold, reports.MinThreshold)
}

func (h *Handler) source() reports.Source { return reports.Source{St: h.Store, Cases: h.Cases} }

// period reads the period of the form; the default is last month.
func (h *Handler) period(c *fiber.Ctx) (reports.Period, bool) {
	kind := c.Query("kind")
	if kind == "" {
		now := h.Now().In(workdays.Amsterdam)
		return reports.Month(now.Year(), now.Month()-1), true
	}
	p, err := reports.Parse(kind, c.Query("value"), c.Query("from"), c.Query("to"))
	return p, err == nil
}

type reportPage struct {
	Period, Previous string
	Kind, Value      string
	From, To         string
	Threshold        int
	Sections         []rSection
	Themes           []cases.Theme
	Query            string
	Bad              bool
}

func (h *Handler) loadReport(c *fiber.Ctx, p reports.Period) (*reports.Report, *reports.Data, error) {
	d, err := h.source().LoadReport(c.UserContext(), p.Previous().From, p.To)
	if err != nil {
		return nil, nil, err
	}
	return reports.Build(d, p, h.threshold(), h.Now()), d, nil
}

func (h *Handler) reportsPage(c *fiber.Ctx) error {
	p, ok := h.period(c)
	if !ok {
		return h.render(c, fiber.StatusUnprocessableEntity, "staff/reports", &view.Data{Page: reportPage{Bad: true, Threshold: h.threshold(),
			Kind: reports.KindMonth}})
	}
	r, d, err := h.loadReport(c, p)
	if err != nil {
		return err
	}
	pg := reportPage{Period: p.Label(), Previous: r.Previous.Label(), Kind: p.Kind, Value: p.Value(), Threshold: r.Threshold,
		Sections: h.sections(c, r.Sections, r.Threshold), Themes: d.Themes, Query: periodQuery(p)}
	if p.Kind == reports.KindRange {
		pg.Value, pg.From, pg.To = "", p.From.Format(time.DateOnly), p.Last().Format(time.DateOnly)
	}
	return h.render(c, fiber.StatusOK, "staff/reports", &view.Data{Page: pg})
}

func periodQuery(p reports.Period) string {
	if p.Kind == reports.KindRange {
		return "kind=range&from=" + p.From.Format(time.DateOnly) + "&to=" + p.Last().Format(time.DateOnly)
	}
	return "kind=" + p.Kind + "&value=" + p.Value()
}

// export sends tables as CSV after writing the audit entry; without the
// entry nothing is sent.
func (h *Handler) export(c *fiber.Ctx, name, detail string, tables []reports.Table, threshold int) error {
	return h.exportWith(c, name, detail, func(buf *bytes.Buffer) error {
		return reports.WriteCSV(buf, tables, threshold, func(key string, args ...any) string { return h.t(c, key, args...) })
	})
}

func (h *Handler) exportWith(c *fiber.Ctx, name, detail string, write func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	if h.Audit == nil {
		return errors.New("staffui: exports need the audit log")
	}
	if err := h.Audit.Record(c.UserContext(), audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.ReportsExport, Detail: detail}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

func (h *Handler) reportsCSV(c *fiber.Ctx) error {
	p, ok := h.period(c)
	if !ok {
		return fiber.ErrBadRequest
	}
	r, _, err := h.loadReport(c, p)
	if err != nil {
		return err
	}
	return h.export(c, "gehoord-report-"+p.Value(), "report "+p.Value(), r.Tables(), r.Threshold)
}

type themeReportPage struct {
	ID, Title, OrgType, OrgName, Summary string
	Period, Kind, Value, From, To        string
	Query                                string
	Threshold                            int
	Tables                               []rTable
}

func (h *Handler) loadThemeReport(c *fiber.Ctx) (*reports.ThemeReport, reports.Period, error) {
	p, ok := h.period(c)
	if !ok {
		return nil, p, fiber.ErrBadRequest
	}
	d, err := h.source().LoadReport(c.UserContext(), p.From, p.To)
	if err != nil {
		return nil, p, err
	}
	tr, ok := reports.BuildTheme(d, c.Params("id"), p, h.threshold())
	if !ok {
		return nil, p, fiber.ErrNotFound
	}
	return tr, p, nil
}

func (h *Handler) themeReport(c *fiber.Ctx) error {
	tr, p, err := h.loadThemeReport(c)
	if err != nil {
		return err
	}
	pg := themeReportPage{ID: tr.ID, Title: tr.Title, OrgType: tr.OrgType, OrgName: tr.OrgName, Summary: tr.Summary,
		Period: p.Label(), Kind: p.Kind, Value: p.Value(), Query: periodQuery(p), Threshold: tr.Threshold,
		Tables: h.reportTables(c, tr.Tables, tr.Threshold)}
	if p.Kind == reports.KindRange {
		pg.Value, pg.From, pg.To = "", p.From.Format(time.DateOnly), p.Last().Format(time.DateOnly)
	}
	return h.render(c, fiber.StatusOK, "staff/theme_report", &view.Data{Page: pg})
}

func (h *Handler) themeReportCSV(c *fiber.Ctx) error {
	tr, p, err := h.loadThemeReport(c)
	if err != nil {
		return err
	}
	return h.export(c, "gehoord-theme-"+p.Value(), "theme "+tr.ID+" "+p.Value(), tr.Tables, tr.Threshold)
}

func (h *Handler) themeSummary(c *fiber.Ctx) error {
	id := c.Params("id")
	err := h.Cases.SetThemeSummary(c.UserContext(), id, c.FormValue("summary"))
	if err != nil {
		return err // a 404 or 422 page through the one mapping (cases.ErrNotFound, ErrTooLong)
	}
	h.audit(c, audit.Entry{UserID: auth.CurrentUser(c).ID, Action: audit.ThemeChange, Target: id, Detail: "summary"})
	q := string(c.Request().URI().QueryString())
	path := "/staff/reports/themes/" + id
	if q != "" {
		path += "?" + q
	}
	return back(c, path, "saved")
}

type medianRow struct {
	Label, Month, Cum string
}

type dashboardPage struct {
	Start, Month string
	Threshold    int
	Sections     []rSection
	Medians      []medianRow
}

func (h *Handler) loadDashboard(c *fiber.Ctx) (*reports.Dashboard, error) {
	start := h.PilotStart
	if start.IsZero() {
		now := h.Now().In(workdays.Amsterdam)
		start = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, workdays.Amsterdam)
	}
	now := h.Now().In(workdays.Amsterdam)
	m := reports.Month(now.Year(), now.Month())
	if v := c.Query("month"); v != "" {
		p, err := reports.Parse(reports.KindMonth, v, "", "")
		if err != nil {
			return nil, fiber.ErrBadRequest
		}
		m = p
	}
	d, err := h.source().Load(c.UserContext(), start, m.To)
	if err != nil {
		return nil, err
	}
	return reports.BuildDashboard(d, start, m, h.threshold(), h.Now()), nil
}

func (h *Handler) dashboard(c *fiber.Ctx) error {
	db, err := h.loadDashboard(c)
	if err != nil {
		return err
	}
	pg := dashboardPage{Start: db.Start.In(workdays.Amsterdam).Format(time.DateOnly), Month: db.Month.Value(), Threshold: db.Threshold,
		Sections: h.sections(c, db.Sections, db.Threshold), Medians: h.medians(c, db)}
	return h.render(c, fiber.StatusOK, "staff/dashboard", &view.Data{Page: pg})
}

// medians are the timeliness medians as published: over fewer than the
// threshold's cases a median is not given.
func (h *Handler) medians(c *fiber.Ctx, db *reports.Dashboard) []medianRow {
	small := "< " + itoa(db.Threshold)
	var out []medianRow
	for _, md := range db.Medians {
		r := medianRow{Label: h.t(c, md.Key), Month: small, Cum: small}
		if md.MonthOK {
			r.Month = h.t(c, "staff.dashboard.median_value", "days", strconv.FormatFloat(md.Month, 'f', -1, 64), "n", md.MonthN)
		}
		if md.CumOK {
			r.Cum = h.t(c, "staff.dashboard.median_value", "days", strconv.FormatFloat(md.Cum, 'f', -1, 64), "n", md.CumN)
		}
		out = append(out, r)
	}
	return out
}

func (h *Handler) dashboardCSV(c *fiber.Ctx) error {
	db, err := h.loadDashboard(c)
	if err != nil {
		return err
	}
	tr := func(key string, args ...any) string { return h.t(c, key, args...) }
	// In the page's order: the medians follow the timeliness tables.
	return h.exportWith(c, "gehoord-pilot-"+db.Month.Value(), "dashboard "+db.Month.Value(), func(buf *bytes.Buffer) error {
		for _, s := range db.Sections {
			if err := reports.WriteCSV(buf, s.Tables, db.Threshold, tr); err != nil {
				return err
			}
			if s.ID != "timeliness" {
				continue
			}
			w := csv.NewWriter(buf)
			_ = w.Write([]string{h.t(c, "staff.dashboard.medians")})
			_ = w.Write([]string{"", h.t(c, "staff.dashboard.month"), h.t(c, "staff.dashboard.cumulative")})
			for _, m := range h.medians(c, db) {
				_ = w.Write([]string{m.Label, m.Month, m.Cum})
			}
			_ = w.Write([]string{})
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
		}
		return nil
	})
}
