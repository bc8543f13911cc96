package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/workdays"
)

// group of hand-built cases: n alike cases.
type group struct {
	n                                                          int
	created                                                    time.Time
	kind, category, grp, region, setting, channel, lang, route string
	routedAfter, answeredAfter                                 time.Duration
	closed                                                     time.Time
	outcome                                                    string
	heardYes, heardNo, withReason                              int
	themes                                                     []string
	extended, replies                                          int
}

func at(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 10, 0, 0, 0, workdays.Amsterdam)
}

// handData: March 2026 and February 2026, as listed; the counts the tests
// expect are written out by hand below, not computed from this.
func handData() *Data {
	const day = 24 * time.Hour
	groups := []group{
		// March.
		{n: 24, created: at(2026, 3, 2), kind: "complaint", category: "business.bank", grp: "business", region: "Amsterdam-Amstelland",
			setting: "window", channel: "web", lang: "nl", route: "mediation", routedAfter: 2 * day, answeredAfter: 10 * day,
			closed: at(2026, 3, 20), outcome: "resolved", heardYes: 11, heardNo: 1, withReason: 2, themes: []string{"t1"}, extended: 3, replies: 2},
		{n: 12, created: at(2026, 3, 10), kind: "help", category: "exit.housing", grp: "exit", region: "Rotterdam-Rijnmond",
			setting: "club", channel: "card", lang: "en", route: "advice", routedAfter: 30 * day},
		{n: 11, created: at(2026, 3, 16), kind: "praise", category: "care", grp: "care", region: "Amsterdam-Amstelland",
			setting: "window", channel: "outreach", lang: "ro", route: "listening", routedAfter: 1 * day},
		{n: 3, created: at(2026, 3, 25), kind: "question", category: "police", grp: "police", region: "Utrecht",
			setting: "street", channel: "web", lang: "nl"},
		// February.
		{n: 30, created: at(2026, 2, 3), kind: "complaint", category: "business.bank", grp: "business", region: "Amsterdam-Amstelland",
			setting: "window", channel: "web", lang: "nl", route: "mediation", routedAfter: 25 * day, themes: []string{"t1"}},
		{n: 15, created: at(2026, 2, 12), kind: "help", category: "exit.housing", grp: "exit", region: "Rotterdam-Rijnmond",
			setting: "club", channel: "card", lang: "en", route: "advice", routedAfter: 3 * day, closed: at(2026, 2, 26), outcome: "withdrawn"},
	}
	d := &Data{Themes: []cases.Theme{{ID: "t1", Title: "Bank zegt rekening op", OrgType: "business", OrgName: "Bank Y"}}, Returns: map[string]int{
		"2026-03-03": 7, "2026-03-30": 5, "2026-02-10": 4}}
	for _, g := range groups {
		for i := range g.n {
			r := Record{ID: g.kind + g.created.String() + string(rune('a'+i)), Created: g.created, Kind: g.kind, Category: g.category, Group: g.grp,
				Region: g.region, Setting: g.setting, Channel: g.channel, Language: g.lang, Route: g.route, Themes: g.themes,
				Ack: g.created.Add(time.Millisecond)}
			if g.routedAfter > 0 {
				r.Routed = g.created.Add(g.routedAfter)
			}
			if g.answeredAfter > 0 {
				r.Answered = g.created.Add(g.answeredAfter)
			}
			if !g.closed.IsZero() {
				r.Closed, r.Outcome = g.closed, g.outcome
			}
			switch {
			case i < g.heardYes:
				r.Heard, r.HeardAt = "yes", g.closed.Add(day)
			case i < g.heardYes+g.heardNo:
				r.Heard, r.HeardAt = "no", g.closed.Add(day)
			}
			r.HeardReason = i < g.withReason
			r.Extended = i < g.extended
			for j := 0; j < g.replies && i == 0; j++ {
				r.Replies = append(r.Replies, g.created.Add(time.Duration(j+1)*day))
			}
			d.Cases = append(d.Cases, r)
		}
	}
	return d
}

// want is a table's hand count per row key and period column; rows not
// listed count 0.
type want map[string][2]int

// checkTable: every shown cell is the hand count, every "< T" cell's hand
// count is below T, every hidden one's at least T, and no suppressed cell
// carries its count.
func checkTable(t *testing.T, tb Table, w want, total [2]int, th int) {
	t.Helper()
	check := func(name string, c Cell, v int) {
		t.Helper()
		switch {
		case c.Absent || c.Folded:
		case c.Mark == Shown && c.Value != v:
			t.Errorf("%s %s: shows %d, hand count %d", tb.ID, name, c.Value, v)
		case c.Mark == Small && (v >= th || c.Value != 0):
			t.Errorf("%s %s: shown as small (value %d), hand count %d", tb.ID, name, c.Value, v)
		case c.Mark == Hidden && (v < th || c.Value != 0):
			t.Errorf("%s %s: hidden (value %d), hand count %d", tb.ID, name, c.Value, v)
		}
	}
	for _, r := range tb.Rows {
		for col, c := range r.Cells {
			check(r.Key+"/"+[]string{"now", "before"}[col], c, w[r.Key][col])
		}
	}
	if tb.Total != nil {
		for col, c := range tb.Total.Cells {
			check("total", c, total[col])
		}
	}
}

func find(t *testing.T, tbs []Table, id string) Table {
	t.Helper()
	for _, tb := range tbs {
		if tb.ID == id {
			return tb
		}
	}
	t.Fatalf("no table %s", id)
	return Table{}
}

func TestReportFiguresOnHandBuiltData(t *testing.T) {
	d := handData()
	now := at(2026, 6, 1)
	r := Build(d, Month(2026, 3), 10, now)
	tbs := r.Tables()
	if r.Previous.Value() != "2026-02" {
		t.Fatalf("previous %s", r.Previous.Value())
	}
	checkTable(t, find(t, tbs, "kind"), want{"complaint": {24, 30}, "help": {12, 15}, "praise": {11, 0}, "question": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "category"), want{"business.bank": {24, 30}, "exit.housing": {12, 15}, "care": {11, 0}, "police": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "group"), want{"business": {24, 30}, "exit": {12, 15}, "care": {11, 0}, "police": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "region"), want{"Amsterdam-Amstelland": {35, 30}, "Rotterdam-Rijnmond": {12, 15}, "_other": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "setting"), want{"window": {35, 30}, "club": {12, 15}, "street": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "channel"), want{"web": {27, 30}, "card": {12, 15}, "outreach": {11, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "route"), want{"mediation": {24, 30}, "advice": {12, 15}, "listening": {11, 0}, "": {3, 0}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "outcome"), want{"resolved": {24, 0}, "withdrawn": {0, 15}}, [2]int{24, 15}, 10)
	checkTable(t, find(t, tbs, "theme"), want{"t1": {24, 30}}, [2]int{}, 10)
	checkTable(t, find(t, tbs, "praise_group"), want{"care": {11, 0}}, [2]int{11, 0}, 10)
	checkTable(t, find(t, tbs, "heard"), want{"yes": {11, 0}, "no": {1, 0}}, [2]int{12, 0}, 10)
	// Deadlines (now is June: every deadline of March and February has
	// passed). Ack: all acknowledged at once. Route: the complaints of
	// March in 2 days, the help requests in 30 (late), praise in 1, the
	// questions never (late); February's complaints in 25 days (late),
	// help in 3. Answer: March's complaints in 10 days; the listening
	// cases are not closed, so not answered; everything else late.
	checkTable(t, find(t, tbs, "deadline_ack"), want{"within": {50, 45}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "deadline_route"), want{"within": {35, 15}, "late": {15, 30}}, [2]int{50, 45}, 10)
	checkTable(t, find(t, tbs, "deadline_answer"), want{"within": {24, 0}, "late": {26, 45}}, [2]int{50, 45}, 10)

	// Exact cells where nothing is small.
	route := find(t, tbs, "deadline_route")
	if c := route.Rows[0].Cells[0]; c.Mark != Shown || c.Value != 35 {
		t.Errorf("route within: %+v", c)
	}
	if pct, ok := Share(route); !ok || pct != 70 {
		t.Errorf("route share %d %v, want 70%%", pct, ok)
	}
	if d, ok := route.Rows[0].Change(); !ok || d != 20 {
		t.Errorf("route within change %d %v, want +20", d, ok)
	}
	// She felt heard 11 times of 12: the "no" is small, so the share
	// cannot be given without showing it.
	if _, ok := Share(find(t, tbs, "heard")); ok {
		t.Error("the heard share is given although its complement is below the threshold")
	}
	// What goes well is its own section.
	if s := r.Sections[len(r.Sections)-1]; s.ID != "well" || len(s.Tables) != 3 {
		t.Errorf("last section %s with %d tables", s.ID, len(s.Tables))
	}
}

func TestDashboardFiguresOnHandBuiltData(t *testing.T) {
	d := handData()
	now := at(2026, 6, 1)
	db := BuildDashboard(d, at(2026, 2, 1), Month(2026, 3), 10, now)
	var tbs []Table
	for _, s := range db.Sections {
		tbs = append(tbs, s.Tables...)
	}
	// Columns: March, and since 1 February.
	checkTable(t, find(t, tbs, "kind"), want{"complaint": {24, 54}, "help": {12, 27}, "praise": {11, 11}, "question": {3, 3}}, [2]int{50, 95}, 10)
	checkTable(t, find(t, tbs, "channel"), want{"web": {27, 57}, "card": {12, 27}, "outreach": {11, 11}}, [2]int{50, 95}, 10)
	checkTable(t, find(t, tbs, "language"), want{"nl": {27, 57}, "en": {12, 27}, "ro": {11, 11}}, [2]int{50, 95}, 10)
	checkTable(t, find(t, tbs, "returns"), want{"returns": {12, 16}}, [2]int{}, 10)
	checkTable(t, find(t, tbs, "replies"), want{"replies": {2, 2}}, [2]int{}, 10)
	checkTable(t, find(t, tbs, "extended"), want{"extended": {3, 3}}, [2]int{}, 10)
	checkTable(t, find(t, tbs, "outcome"), want{"resolved": {24, 24}, "withdrawn": {0, 15}}, [2]int{24, 39}, 10)
	checkTable(t, find(t, tbs, "heard"), want{"yes": {11, 11}, "no": {1, 1}}, [2]int{12, 12}, 10)
	checkTable(t, find(t, tbs, "heard_reasons"), want{"heard_reasons": {2, 2}}, [2]int{}, 10)
	checkTable(t, find(t, tbs, "deadline_route"), want{"within": {35, 50}, "late": {15, 45}}, [2]int{50, 95}, 10)
	// Medians: route in working days from receipt. March: complaints 2
	// days after Monday 2 March (2), help 30 days after 10 March (20
	// working days: 21 calendar days... counted below), praise 1.
	med := db.Medians[1]
	if !med.MonthOK || med.MonthN != 47 || med.Month != 2 {
		t.Errorf("route median of March: %+v", med)
	}
	ack := db.Medians[0]
	if !ack.CumOK || ack.CumN != 95 || ack.Cum != 0 {
		t.Errorf("ack median since the start: %+v", ack)
	}
	if ans := db.Medians[2]; !ans.MonthOK || ans.MonthN != 24 || ans.Month != 8 {
		t.Errorf("answer median of March: %+v (10 calendar days from Monday 2 March is 8 working days)", ans)
	}
}

func TestThemeReportOnHandBuiltData(t *testing.T) {
	d := handData()
	d.Themes[0].Summary = "Banken zeggen rekeningen op."
	tr, ok := BuildTheme(d, "t1", Quarter(2026, 1), 10)
	if !ok {
		t.Fatal("no theme")
	}
	months := find(t, tr.Tables, "theme_months")
	checkTable(t, months, want{"2026-01": {0, 0}, "2026-02": {30, 0}, "2026-03": {24, 0}}, [2]int{54, 0}, 10)
	// January's 0 is "< 10"; with the total shown, one more month must be
	// hidden or January would be known to be 0: the smaller one, March.
	if len(months.Rows) != 3 || months.Rows[1].Cells[0].Value != 30 || months.Rows[2].Cells[0].Mark != Hidden {
		t.Errorf("months %+v", months.Rows)
	}
	checkTable(t, find(t, tr.Tables, "theme_outcome"), want{"resolved": {24, 0}}, [2]int{24, 0}, 10)
	if tr.Summary != "Banken zeggen rekeningen op." || tr.OrgName != "Bank Y" {
		t.Errorf("summary %q org %q", tr.Summary, tr.OrgName)
	}
	if _, ok := BuildTheme(d, "nope", Quarter(2026, 1), 10); ok {
		t.Error("a report for a theme that does not exist")
	}
}

func TestPeriods(t *testing.T) {
	for _, c := range []struct{ kind, value, from, to, want, prev string }{
		{"month", "2026-01", "", "", "2026-01", "2025-12"},
		{"quarter", "2026-Q1", "", "", "2026-Q1", "2025-Q4"},
		{"year", "2026", "", "", "2026", "2025"},
		{"range", "", "2026-03-10", "2026-03-19", "2026-03-10..2026-03-19", "2026-02-28..2026-03-09"},
	} {
		p, err := Parse(c.kind, c.value, c.from, c.to)
		if err != nil || p.Value() != c.want || p.Previous().Value() != c.prev {
			t.Errorf("%v: %s, previous %s, %v", c, p.Value(), p.Previous().Value(), err)
		}
	}
	for _, bad := range [][4]string{{"month", "2026-13"}, {"quarter", "2026-Q5"}, {"range", "", "2026-03-10", "2026-03-01"}, {"week", "1"}} {
		if _, err := Parse(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if !strings.Contains(Range(at(2026, 3, 10), at(2026, 3, 19)).Label(), "2026-03-19") {
		t.Error("range label")
	}
}
