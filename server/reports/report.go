package reports

import (
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/socialmap"
)

// Section is a part of a report.
type Section struct {
	ID     string
	Title  string // catalog key
	Intro  string // catalog key
	Tables []Table
}

// Report is a published report: only suppressed tables.
type Report struct {
	Period, Previous Period
	Threshold        int
	Sections         []Section
}

// Tables lists every table of the report in order.
func (r *Report) Tables() []Table {
	var out []Table
	for _, s := range r.Sections {
		out = append(out, s.Tables...)
	}
	return out
}

// The rows of each dimension, in the order the desk uses.
func kindRows() []Row {
	var out []Row
	for _, k := range cases.Kinds {
		out = append(out, Row{Key: k, Label: "kind." + k + ".label"})
	}
	return out
}

func categoryRows() []Row {
	var out []Row
	for _, c := range cases.Categories {
		out = append(out, Row{Key: c.ID, Label: "category." + c.ID + ".label"})
	}
	return out
}

func groupRows() []Row {
	var out []Row
	for _, g := range cases.Groups {
		out = append(out, Row{Key: g, Label: "group." + g})
	}
	return out
}

func settingRows() []Row {
	out := []Row{}
	for _, s := range cases.Settings {
		out = append(out, Row{Key: s, Label: "setting." + s})
	}
	return append(out, Row{Key: "", Label: "staff.reports.not_given"})
}

func channelRows() []Row {
	var out []Row
	for _, c := range cases.Channels {
		out = append(out, Row{Key: string(c), Label: "staff.channel." + string(c)})
	}
	return out
}

func regionRows() []Row {
	var out []Row
	for _, r := range socialmap.Regions() {
		out = append(out, Row{Key: r, Text: r})
	}
	return append(out,
		Row{Key: cases.MunicipalityOnline, Label: "staff.reports.region_online"},
		Row{Key: cases.MunicipalityUnknown, Label: "staff.reports.region_unknown"},
		Row{Key: otherKey, Label: "staff.reports.other"})
}

func routeRows() []Row {
	var out []Row
	for _, r := range cases.Routes {
		out = append(out, Row{Key: string(r), Label: "state." + string(r)})
	}
	return append(out, Row{Key: "", Label: "staff.reports.no_route"})
}

func outcomeRows() []Row {
	var out []Row
	for _, o := range cases.Outcomes {
		out = append(out, Row{Key: string(o), Label: "outcome." + string(o)})
	}
	return out
}

func languageRows() []Row {
	var out []Row
	for _, l := range cases.PublicLanguages {
		out = append(out, Row{Key: l, Text: l})
	}
	return append(out, Row{Key: otherKey, Label: "staff.reports.other"})
}

const otherKey = "_other"

// count counts records by key over rows; a key no row has goes to the
// "other" row when there is one, else it is not counted (and the total
// counts it still).
func count(rows []Row, recs []*Record, key func(*Record) string) []int {
	at := make(map[string]int, len(rows))
	for i, r := range rows {
		at[r.Key] = i
	}
	other, hasOther := at[otherKey]
	if !hasOther {
		other, hasOther = at["other"]
	}
	out := make([]int, len(rows))
	for _, r := range recs {
		if i, ok := at[key(r)]; ok {
			out[i]++
		} else if hasOther {
			out[other]++
		}
	}
	return out
}

// received and closed select a period's cases.
func received(d *Data, p Period) []*Record {
	var out []*Record
	for i := range d.Cases {
		if p.Contains(d.Cases[i].Created) {
			out = append(out, &d.Cases[i])
		}
	}
	return out
}

func closedIn(d *Data, p Period) []*Record {
	var out []*Record
	for i := range d.Cases {
		if !d.Cases[i].Closed.IsZero() && p.Contains(d.Cases[i].Closed) {
			out = append(out, &d.Cases[i])
		}
	}
	return out
}

func heardIn(d *Data, p Period) []*Record {
	var out []*Record
	for i := range d.Cases {
		if d.Cases[i].Heard != "" && !d.Cases[i].HeardAt.IsZero() && p.Contains(d.Cases[i].HeardAt) {
			out = append(out, &d.Cases[i])
		}
	}
	return out
}

// dim is one dimension of a report: its rows and how a case is keyed.
type dim struct {
	id, title, how string
	// pop names the set of cases counted (received, closed, …): tables of
	// one set share their total.
	pop   string
	rows  func() []Row
	key   func(*Record) string
	pick  func(*Data, Period) []*Record
	fold  bool
	other string
}

// totals remembers, per set of cases (a dimension's pick and a period),
// whether some table had to hide its total: a total is the same figure in
// every table of those cases, so it is hidden in all of them.
type totals map[string]bool

func popKey(x dim, p Period) string {
	if x.pop != "" {
		return x.pop + "/" + p.Value()
	}
	return x.id + "/" + p.Value()
}

func dims() []dim {
	rcv := func(id, title, how string, rows func() []Row, key func(*Record) string) dim {
		return dim{id: id, title: title, how: how, pop: "received", rows: rows, key: key, pick: received}
	}
	reg := rcv("region", "staff.reports.by_region", "staff.reports.how_received_fold", regionRows, func(r *Record) string { return r.Region })
	reg.fold, reg.other = true, otherKey
	return []dim{
		reg,
		rcv("setting", "staff.reports.by_setting", "staff.reports.how_received", settingRows, func(r *Record) string { return r.Setting }),
		rcv("channel", "staff.reports.by_channel", "staff.reports.how_received", channelRows, func(r *Record) string { return r.Channel }),
		rcv("route", "staff.reports.by_route", "staff.reports.how_route", routeRows, func(r *Record) string { return r.Route }),
		{id: "outcome", title: "staff.reports.by_outcome", how: "staff.reports.how_outcome", pop: "closed", rows: outcomeRows,
			key: func(r *Record) string { return r.Outcome }, pick: closedIn},
	}
}

// twoPeriods builds a table of one dimension for p and its previous
// period.
func twoPeriods(d *Data, p Period, t int, x dim, hide totals) Table {
	rows := x.rows()
	prev := p.Previous()
	spec := tableSpec{rows: rows, total: true, fold: x.fold, other: x.other,
		counts:    [][]int{count(rows, x.pick(d, p), x.key), count(rows, x.pick(d, prev), x.key)},
		hideTotal: []bool{hide[popKey(x, p)], hide[popKey(x, prev)]}}
	tb := spec.build(x.id, x.title, x.how, nil, t)
	tb.ColumnText = []string{p.Label(), prev.Label()}
	tb.Change = true
	for c, per := range []Period{p, prev} {
		if tb.Total.Cells[c].Mark == Hidden {
			hide[popKey(x, per)] = true
		}
	}
	return tb
}

// Build computes the report of period p with threshold t from d, which
// must hold the cases of p and of the period before. now says which
// deadlines have passed.
func Build(d *Data, p Period, t int, now time.Time) *Report {
	t = max(t, MinThreshold)
	hide := totals{}
	r := build(d, p, t, now, hide)
	if len(hide) > 0 {
		// Some table hid a total: hide it in every table of its cases.
		// Hiding more never makes a count easier to work out.
		r = build(d, p, t, now, hide)
	}
	return r
}

func build(d *Data, p Period, t int, now time.Time, hide totals) *Report {
	r := &Report{Period: p, Previous: p.Previous(), Threshold: t}
	j := joint(d, p, t, hide)
	recv := []Table{j.kind, j.category, j.group}
	var handled []Table
	var outcome Table
	for _, x := range dims() {
		tb := twoPeriods(d, p, t, x, hide)
		if x.id == "outcome" {
			outcome = tb
		}
		if x.id == "route" || x.id == "outcome" {
			handled = append(handled, tb)
		} else {
			recv = append(recv, tb)
		}
	}
	for _, dl := range deadlineKinds {
		handled = append(handled, deadlineTable(d, p, t, now, dl, hide))
	}
	r.Sections = append(r.Sections,
		Section{ID: "received", Title: "staff.reports.section_received", Intro: "staff.reports.section_received_intro", Tables: recv},
		Section{ID: "themes", Title: "staff.reports.section_themes", Intro: "staff.reports.section_themes_intro", Tables: []Table{themeTable(d, p, t)}},
		Section{ID: "handled", Title: "staff.reports.section_handled", Intro: "staff.reports.section_handled_intro", Tables: handled},
		Section{ID: "well", Title: "staff.reports.section_well", Intro: "staff.reports.section_well_intro", Tables: wellTables(d, p, t, hide, j.praiseGroup, outcome)},
	)
	return r
}

// themeTable counts the cases received in p and its previous period per
// theme. A case may be linked to several themes, so there is no total and
// no count can be worked out from others: each is suppressed on its own.
func themeTable(d *Data, p Period, t int) Table {
	var rows []Row
	for _, th := range d.Themes {
		row := Row{Key: th.ID, Text: th.Title, ExtraText: th.OrgName}
		if th.OrgType != "" {
			row.ExtraKey = "group." + th.OrgType
		}
		rows = append(rows, row)
	}
	key := func(recs []*Record) []int {
		at := map[string]int{}
		for i, r := range rows {
			at[r.Key] = i
		}
		out := make([]int, len(rows))
		for _, r := range recs {
			for _, th := range r.Themes {
				if i, ok := at[th]; ok {
					out[i]++
				}
			}
		}
		return out
	}
	spec := tableSpec{rows: rows, counts: [][]int{key(received(d, p)), key(received(d, p.Previous()))}}
	tb := spec.build("theme", "staff.reports.by_theme", "staff.reports.how_theme", nil, t)
	tb.ColumnText = []string{p.Label(), p.Previous().Label()}
	tb.Change = true
	tb.Extra = "staff.reports.organisation"
	return tb
}

// wellTables are what goes well: praise by organisation type, the cases
// resolved (the outcome table's own cells, so nothing new can be worked
// out), and her "I felt heard".
func wellTables(d *Data, p Period, t int, hide totals, praise, outcome Table) []Table {
	resolved := outcome
	resolved.ID, resolved.Title = "resolved", "staff.reports.resolved"
	resolved.Rows = nil
	for _, r := range outcome.Rows {
		if r.Key == string(cases.OutcomeResolved) || r.Key == string(cases.OutcomePartlyResolved) {
			resolved.Rows = append(resolved.Rows, r)
		}
	}
	return []Table{
		praise,
		resolved,
		twoPeriods(d, p, t, dim{id: "heard", title: "staff.reports.heard", how: "staff.reports.how_heard", pop: "heard",
			rows: heardRows, key: func(r *Record) string { return r.Heard }, pick: heardIn}, hide),
	}
}

func heardRows() []Row {
	return []Row{{Key: "yes", Label: "staff.reports.heard_yes"}, {Key: "no", Label: "staff.reports.heard_no"}}
}

// deadlineKinds are the three deadlines.
var deadlineKinds = []string{cases.DeadlineAck, cases.DeadlineRoute, cases.DeadlineAnswer}

// met says, for one deadline, whether a case met it: within (true,
// true), late (false, true), or not yet measurable (_, false): not done
// and not yet due at now.
func met(r *Record, which string, now time.Time) (within, measured bool) {
	d := r.Deadlines()
	var done, due time.Time
	switch which {
	case cases.DeadlineAck:
		done, due = r.Ack, d.Ack
	case cases.DeadlineRoute:
		done, due = r.Routed, d.Route
	default:
		done, due = r.Answered, d.Answer
		// Listening only, nothing more wanted: the route is the answer.
		if done.IsZero() && r.Route == string(cases.StateListening) && !r.Closed.IsZero() {
			done = r.Closed
		}
	}
	if done.IsZero() {
		return false, now.After(due)
	}
	return !done.After(due), true
}

func deadlineRows() []Row {
	return []Row{{Key: "within", Label: "staff.reports.within"}, {Key: "late", Label: "staff.reports.late"}}
}

// deadlineTable: of the cases received in the period whose deadline can be
// judged, how many met it.
func deadlineTable(d *Data, p Period, t int, now time.Time, which string, hide totals) Table {
	key := func(r *Record) string {
		w, m := met(r, which, now)
		switch {
		case !m:
			return "-"
		case w:
			return "within"
		}
		return "late"
	}
	pick := func(d *Data, p Period) []*Record {
		var out []*Record
		for _, r := range received(d, p) {
			if key(r) != "-" {
				out = append(out, r)
			}
		}
		return out
	}
	return twoPeriods(d, p, t, dim{id: "deadline_" + which, title: "staff.reports.deadline_" + which, how: "staff.reports.how_deadline",
		rows: deadlineRows, key: key, pick: pick}, hide)
}

// Share is a published share: within of total, shown only when both are.
func Share(tb Table) (pct int, ok bool) {
	if tb.Total == nil || len(tb.Rows) == 0 {
		return 0, false
	}
	a, b := tb.Rows[0].Cells[0], tb.Total.Cells[0]
	if a.Mark != Shown || b.Mark != Shown || b.Value == 0 || a.Folded {
		return 0, false
	}
	return (200*a.Value + b.Value) / (2 * b.Value), true
}
