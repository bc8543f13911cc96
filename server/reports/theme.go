package reports

import (
	"github.com/gehoord/gehoord/server/cases"
)

// ThemeReport is one theme over a period: its cases month by month, by
// kind and by outcome, suppressed, with the desk's public summary.
type ThemeReport struct {
	ID, Title, OrgType, OrgName, Summary string
	Period                               Period
	Threshold                            int
	Tables                               []Table
}

// BuildTheme computes the theme report of theme id for period p; ok is
// false when there is no such theme.
func BuildTheme(d *Data, id string, p Period, t int) (*ThemeReport, bool) {
	t = max(t, MinThreshold)
	var th *cases.Theme
	for i := range d.Themes {
		if d.Themes[i].ID == id {
			th = &d.Themes[i]
		}
	}
	if th == nil {
		return nil, false
	}
	linked := func(recs []*Record) []*Record {
		var out []*Record
		for _, r := range recs {
			for _, x := range r.Themes {
				if x == id {
					out = append(out, r)
					break
				}
			}
		}
		return out
	}
	ms := months(p.From, p.Last())
	var monthRows []Row
	for _, m := range ms {
		monthRows = append(monthRows, Row{Key: m.Value(), Text: m.Label()})
	}
	recv := linked(received(d, p))
	byMonth := make([]int, len(ms))
	for _, r := range recv {
		for i, m := range ms {
			if m.Contains(r.Created) {
				byMonth[i]++
			}
		}
	}
	one := func(id, title, how string, rows []Row, counts []int, hide bool) Table {
		spec := tableSpec{rows: rows, total: true, counts: [][]int{counts}, hideTotal: []bool{hide}}
		tb := spec.build(id, title, how, nil, t)
		tb.ColumnText = []string{p.Label()}
		return tb
	}
	build := func(hide bool) []Table {
		kr := kindRows()
		return []Table{
			one("theme_months", "staff.reports.theme_by_month", "staff.reports.how_theme", monthRows, byMonth, hide),
			one("theme_kind", "staff.reports.by_kind", "staff.reports.how_theme", kr, count(kr, recv, func(r *Record) string { return r.Kind }), hide),
		}
	}
	tables := build(false)
	if tables[0].Total.Cells[0].Mark == Hidden || tables[1].Total.Cells[0].Mark == Hidden {
		tables = build(true) // one total for both tables
	}
	or := outcomeRows()
	tables = append(tables, one("theme_outcome", "staff.reports.by_outcome", "staff.reports.how_outcome", or,
		count(or, linked(closedIn(d, p)), func(r *Record) string { return r.Outcome }), false))
	return &ThemeReport{ID: th.ID, Title: th.Title, OrgType: th.OrgType, OrgName: th.OrgName, Summary: th.Summary,
		Period: p, Threshold: t, Tables: tables}, true
}
