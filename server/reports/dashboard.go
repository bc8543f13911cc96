package reports

import (
	"slices"
	"sort"
	"time"

	"github.com/gehoord/gehoord/server/workdays"
)

// Dashboard is the pilot's evaluation for one month: each figure for the
// month and cumulative since the start of the pilot.
type Dashboard struct {
	Start     time.Time
	Month     Period
	Threshold int
	Sections  []Section
	// Medians are the median working days to each step.
	Medians []Median
}

// Median is a median number of working days, published only over at
// least Threshold cases.
type Median struct {
	Key          string // catalog key of the step
	Month, Cum   float64
	MonthN, CumN int
	MonthOK      bool
	CumOK        bool
}

// series is one dashboard table before suppression.
type series struct {
	id, title, how string
	rows           []Row
	total          bool
	pop            string
	// counts are the month's counts per row.
	counts func(m Period) []int
	// plain: counts of cards, not of people: not suppressed.
	plain bool
}

// dashKey names a total of a set of cases in one month's dashboard: a
// total is one figure in every table of those cases.
func dashKey(pop string, m Period, cum bool) string {
	if cum {
		return pop + "/cum/" + m.Value()
	}
	return pop + "/month/" + m.Value()
}

// publishSeries publishes a series for every month from the first to the
// last, each month's dashboard protected together with the month before
// (the reader has last month's dashboard too): with a_i the cumulative
// count of row i two months back, b_i last month's and c_i this month's,
// last month showed b_i and a_i+b_i, this month shows c_i and
// a_i+b_i+c_i, and none of the suppressed ones may be worked out from all
// of these together. What last month published is kept as it was.
// It returns the last month's month and cumulative cells per row and
// totals.
func publishSeries(s series, ms []Period, t int, hide totals) (month, cum []Cell, mTot, cTot Cell) {
	n := len(s.rows)
	prevM := make([]int, n)
	prevC := make([]int, n)
	var prevMarks []Mark // marks of last month's items, in item order
	for k, m := range ms {
		cur := s.counts(m)
		curC := make([]int, n)
		for i := range n {
			curC[i] = prevC[i] + cur[i]
		}
		a := make([]int, n)
		for i := range n {
			a[i] = prevC[i] - prevM[i]
		}
		p := &problem{nvars: 3 * n, t: t}
		add := func(form []int, vals []int, fixed bool, mark Mark) {
			v := 0
			for _, x := range form {
				v += vals[x]
			}
			p.items = append(p.items, item{form: form, value: v, fixed: fixed, mark: mark})
		}
		vals := make([]int, 3*n)
		for i := range n {
			vals[i], vals[n+i], vals[2*n+i] = a[i], prevM[i], cur[i]
		}
		// Known zeros: before the start there is nothing.
		for i := range n {
			if k <= 1 {
				add([]int{i}, vals, true, Shown)
			}
			if k == 0 {
				add([]int{n + i}, vals, true, Shown)
			}
		}
		itemsOf := func(off int, withA bool) {
			for i := range n {
				form := []int{off + i}
				add(form, vals, false, Shown)
				if withA {
					form = []int{i, n + i}
					if off == 2*n {
						form = append(form, 2*n+i)
					}
					add(form, vals, false, Shown)
				}
			}
			if s.total {
				var mf, cf []int
				for i := range n {
					mf = append(mf, off+i)
					cf = append(cf, i, n+i)
					if off == 2*n {
						cf = append(cf, 2*n+i)
					}
				}
				add(mf, vals, false, Shown)
				add(cf, vals, false, Shown)
			}
		}
		if k > 0 {
			start := len(p.items)
			itemsOf(n, true)
			for j := range prevMarks {
				p.items[start+j].mark, p.items[start+j].fixed = prevMarks[j], true
			}
		}
		curStart := len(p.items)
		itemsOf(2*n, true)
		if s.total {
			mt, ct := len(p.items)-2, len(p.items)-1
			for _, x := range []struct {
				i   int
				cum bool
			}{{mt, false}, {ct, true}} {
				if hide[dashKey(s.pop, m, x.cum)] && p.items[x.i].value >= t {
					p.items[x.i].mark, p.items[x.i].fixed = Hidden, true
				}
			}
		}
		if !s.plain {
			p.protect()
		}
		prevMarks = prevMarks[:0]
		for _, it := range p.items[curStart:] {
			prevMarks = append(prevMarks, it.mark)
		}
		if s.total {
			mt, ct := p.items[len(p.items)-2], p.items[len(p.items)-1]
			if mt.mark == Hidden {
				hide[dashKey(s.pop, m, false)] = true
			}
			if ct.mark == Hidden {
				hide[dashKey(s.pop, m, true)] = true
			}
		}
		if k == len(ms)-1 {
			items := p.items[curStart:]
			month, cum = make([]Cell, n), make([]Cell, n)
			for i := range n {
				month[i], cum[i] = cellOf(items[2*i]), cellOf(items[2*i+1])
			}
			if s.total {
				mTot, cTot = cellOf(items[2*n]), cellOf(items[2*n+1])
			}
		}
		prevM, prevC = cur, curC
	}
	return month, cum, mTot, cTot
}

// BuildDashboard computes the dashboard for month m of a pilot that
// started at start, with threshold t; d must hold every case since start.
func BuildDashboard(d *Data, start time.Time, m Period, t int, now time.Time) *Dashboard {
	t = max(t, MinThreshold)
	st := start.In(workdays.Amsterdam)
	if m.From.Before(Month(st.Year(), st.Month()).From) {
		m = Month(st.Year(), st.Month())
	}
	ms := months(start, m.From)
	hide := totals{}
	var db *Dashboard
	for {
		before := len(hide)
		db = buildDashboard(d, start, ms, t, now, hide)
		if len(hide) == before {
			break
		}
	}
	db.Medians = medians(d, start, ms[len(ms)-1], t)
	return db
}

func buildDashboard(d *Data, start time.Time, ms []Period, t int, now time.Time, hide totals) *Dashboard {
	m := ms[len(ms)-1]
	db := &Dashboard{Start: start, Month: m, Threshold: t}
	cols := []string{"staff.dashboard.month", "staff.dashboard.cumulative"}
	table := func(s series) Table {
		mc, cc, mt, ct := publishSeries(s, ms, t, hide)
		tb := Table{ID: s.id, Title: s.title, How: s.how, Columns: cols, Rows: slices.Clone(s.rows)}
		for i := range tb.Rows {
			tb.Rows[i].Cells = []Cell{mc[i], cc[i]}
		}
		if s.total {
			tb.Total = &Row{Key: "total", Label: "staff.reports.total", Cells: []Cell{mt, ct}}
		}
		return tb
	}
	byKey := func(rows []Row, pick func(*Data, Period) []*Record, key func(*Record) string) func(Period) []int {
		return func(p Period) []int { return count(rows, pick(d, p), key) }
	}
	recv := func(id, title string, rows []Row, key func(*Record) string) series {
		return series{id: id, title: title, how: "staff.dashboard.how_received", rows: rows, total: true, pop: "received",
			counts: byKey(rows, received, key)}
	}
	single := func(id, title, how string, f func(Period) int) series {
		return series{id: id, title: title, how: how, rows: []Row{{Key: id, Label: title}}, counts: func(p Period) []int { return []int{f(p)} }}
	}
	printed := func(b Batch, p Period) int {
		if !b.PrintedAt.IsZero() && p.Contains(b.PrintedAt) {
			return b.Printed
		}
		return 0
	}
	handed := func(b Batch, p Period) int { return sumDays(b.Handed, p) }
	scanned := func(b Batch, p Period) int { return sumDays(b.Scanned, p) }
	reach := []Table{
		table(batchSeries(d, "cards_printed", "staff.dashboard.cards_printed", printed)),
		table(batchSeries(d, "cards_handed", "staff.dashboard.cards_handed", handed)),
		table(batchSeries(d, "cards_scanned", "staff.dashboard.cards_scanned", scanned)),
		table(regionCards(d, "region_printed", "staff.dashboard.region_printed", printed)),
		table(regionCards(d, "region_handed", "staff.dashboard.region_handed", handed)),
		table(regionCards(d, "region_scanned", "staff.dashboard.region_scanned", scanned)),
		table(recv("channel", "staff.reports.by_channel", channelRows(), func(r *Record) string { return r.Channel })),
		table(recv("setting", "staff.reports.by_setting", settingRows(), func(r *Record) string { return r.Setting })),
		table(recv("language", "staff.dashboard.by_language", languageRows(), func(r *Record) string { return r.Language })),
	}
	use := []Table{
		table(recv("kind", "staff.reports.by_kind", kindRows(), func(r *Record) string { return r.Kind })),
		table(single("returns", "staff.dashboard.returns", "staff.dashboard.how_returns", func(p Period) int { return sumDays(d.Returns, p) })),
		table(single("replies", "staff.dashboard.replies", "staff.dashboard.how_replies", func(p Period) int {
			n := 0
			for i := range d.Cases {
				for _, at := range d.Cases[i].Replies {
					if p.Contains(at) {
						n++
					}
				}
			}
			return n
		})),
	}
	var timely []Table
	for _, dl := range deadlineKinds {
		rows := deadlineRows()
		key := func(r *Record) string {
			w, ok := met(r, dl, now)
			switch {
			case !ok:
				return "-"
			case w:
				return "within"
			}
			return "late"
		}
		timely = append(timely, table(series{id: "deadline_" + dl, title: "staff.reports.deadline_" + dl, how: "staff.reports.how_deadline",
			rows: rows, total: true, pop: "deadline_" + dl, counts: byKey(rows, received, key)}))
	}
	timely = append(timely, table(single("extended", "staff.dashboard.extended", "staff.dashboard.how_extended", func(p Period) int {
		n := 0
		for _, r := range received(d, p) {
			if r.Extended {
				n++
			}
		}
		return n
	})))
	outcomes := []Table{table(series{id: "outcome", title: "staff.reports.by_outcome", how: "staff.reports.how_outcome", rows: outcomeRows(),
		total: true, pop: "closed", counts: byKey(outcomeRows(), closedIn, func(r *Record) string { return r.Outcome })})}
	heard := []Table{
		table(series{id: "heard", title: "staff.reports.heard", how: "staff.reports.how_heard", rows: heardRows(), total: true, pop: "heard",
			counts: byKey(heardRows(), heardIn, func(r *Record) string { return r.Heard })}),
		table(single("heard_reasons", "staff.dashboard.heard_reasons", "staff.dashboard.how_heard_reasons", func(p Period) int {
			n := 0
			for _, r := range heardIn(d, p) {
				if r.HeardReason {
					n++
				}
			}
			return n
		})),
	}
	db.Sections = []Section{
		{ID: "reach", Title: "staff.dashboard.reach", Intro: "staff.dashboard.reach_intro", Tables: reach},
		{ID: "use", Title: "staff.dashboard.use", Intro: "staff.dashboard.use_intro", Tables: use},
		{ID: "timeliness", Title: "staff.dashboard.timeliness", Intro: "staff.dashboard.timeliness_intro", Tables: timely},
		{ID: "outcomes", Title: "staff.dashboard.outcomes", Intro: "staff.dashboard.outcomes_intro", Tables: outcomes},
		{ID: "heard", Title: "staff.dashboard.felt_heard", Intro: "staff.dashboard.felt_heard_intro", Tables: heard},
	}
	return db
}

func sumDays(m map[string]int, p Period) int {
	n := 0
	f, t := p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)
	for day, v := range m {
		if day >= f && day < t {
			n += v
		}
	}
	return n
}

// batchSeries counts cards per batch: cards, not people, so nothing is
// suppressed.
func batchSeries(d *Data, id, title string, f func(Batch, Period) int) series {
	var rows []Row
	for _, b := range d.Batches {
		rows = append(rows, Row{Key: b.ID, Text: b.ID + " " + b.Label, ExtraText: b.Region})
	}
	return series{id: id, title: title, how: "staff.dashboard.how_cards", rows: rows, total: true, plain: true,
		counts: func(p Period) []int {
			out := make([]int, len(d.Batches))
			for i, b := range d.Batches {
				out[i] = f(b, p)
			}
			return out
		}}
}

// regionCards sums a batch figure per safety region.
func regionCards(d *Data, id, title string, f func(Batch, Period) int) series {
	regions := map[string]bool{}
	for _, b := range d.Batches {
		regions[b.Region] = true
	}
	var keys []string
	for r := range regions {
		keys = append(keys, r)
	}
	sort.Strings(keys)
	var rows []Row
	for _, r := range keys {
		if r == "" {
			rows = append(rows, Row{Key: r, Label: "staff.dashboard.national"})
		} else {
			rows = append(rows, Row{Key: r, Text: r})
		}
	}
	return series{id: id, title: title, how: "staff.dashboard.how_cards", rows: rows, total: true, plain: true,
		counts: func(p Period) []int {
			out := make([]int, len(rows))
			for _, b := range d.Batches {
				out[indexOf(keys, b.Region)] += f(b, p)
			}
			return out
		}}
}

// workingDays counts the working days after from's date up to and
// including to's date (0 on the same day).
func workingDays(from, to time.Time) int {
	f, t := from.In(workdays.Amsterdam), to.In(workdays.Amsterdam)
	d := time.Date(f.Year(), f.Month(), f.Day(), 12, 0, 0, 0, workdays.Amsterdam)
	end := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, workdays.Amsterdam)
	n := 0
	for d.Before(end) {
		d = d.AddDate(0, 0, 1)
		if workdays.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

func median(v []int) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return float64(v[len(v)/2])
	}
	return float64(v[len(v)/2-1]+v[len(v)/2]) / 2
}

// medians: for the cases received in the month (and since the start)
// that reached the step, the median working days from receipt.
func medians(d *Data, start time.Time, m Period, t int) []Median {
	cum := Period{KindRange, Month(start.In(workdays.Amsterdam).Year(), start.In(workdays.Amsterdam).Month()).From, m.To}
	steps := []struct {
		key string
		at  func(*Record) time.Time
	}{
		{"staff.dashboard.median_ack", func(r *Record) time.Time { return r.Ack }},
		{"staff.dashboard.median_route", func(r *Record) time.Time { return r.Routed }},
		{"staff.dashboard.median_answer", func(r *Record) time.Time { return r.Answered }},
	}
	var out []Median
	for _, s := range steps {
		days := func(p Period) []int {
			var v []int
			for _, r := range received(d, p) {
				if at := s.at(r); !at.IsZero() {
					v = append(v, workingDays(r.Created, at))
				}
			}
			return v
		}
		mv, cv := days(m), days(cum)
		md := Median{Key: s.key, MonthN: len(mv), CumN: len(cv), MonthOK: len(mv) >= t, CumOK: len(cv) >= t}
		if md.MonthOK {
			md.Month = median(mv)
		}
		if md.CumOK {
			md.Cum = median(cv)
		}
		if !md.MonthOK {
			md.MonthN = 0
		}
		if !md.CumOK {
			md.CumN = 0
		}
		out = append(out, md)
	}
	return out
}
