package reports

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The attacker of these tests knows everything a reader of a report and
// of the previous period's report knows: every shown count, that a "< T"
// count lies in [0, T-1] and a hidden one ("x") is at least T, and how
// the published counts add up (rows, columns, totals, last month's
// cumulative figures). She enumerates every assignment of the counts
// underneath that agrees with all of it, by a search of her own that
// shares no code with the suppression; a suppressed count is recovered
// when it has one value in all of them.

// known is one published fact: the sum of form lies in [lo, hi].
type known struct {
	form   []int
	lo, hi int
	target bool // a suppressed count she tries to recover
	name   string
}

// attack returns the names of the targets that take a single value in
// every assignment of nvars counts in [0, limit] agreeing with facts: for
// each target and each side of its true value, a search for an
// assignment with the target on that side (values tried from the true
// ones outward, so one is found fast when it exists).
func attack(t *testing.T, truth []int, limit int, facts []known) []string {
	t.Helper()
	nvars := len(truth)
	value := func(form []int) int {
		s := 0
		for _, v := range form {
			s += truth[v]
		}
		return s
	}
	for _, f := range facts {
		if v := value(f.form); v < f.lo || v > f.hi {
			t.Fatalf("the true counts break %q (%d not in [%d, %d]): the attacker's model is wrong", f.name, v, f.lo, f.hi)
		}
	}
	var out []string
	for _, f := range facts {
		if !f.target {
			continue
		}
		v := value(f.form)
		below := solvable(t, truth, limit, append(facts[:len(facts):len(facts)], known{form: f.form, lo: 0, hi: v - 1}))
		above := solvable(t, truth, limit, append(facts[:len(facts):len(facts)], known{form: f.form, lo: v + 1, hi: limit * len(f.form)}))
		if !below && !above {
			out = append(out, f.name)
		}
	}
	_ = nvars
	return out
}

// solvable says whether some integer assignment in [0, limit] meets every
// fact: a search that narrows every count's bounds from the facts
// (bounds consistency) before each choice, choosing values from the true
// ones outward.
func solvable(t *testing.T, truth []int, limit int, facts []known) bool {
	n := len(truth)
	lo, hi := make([]int, n), make([]int, n)
	for i := range hi {
		hi[i] = limit
	}
	nodes := 0
	var search func(lo, hi []int) bool
	search = func(lo, hi []int) bool {
		nodes++
		if nodes > 200_000 {
			t.Fatalf("the attacker's search is too long")
		}
		// Narrow to a fixpoint.
		for changed := true; changed; {
			changed = false
			for _, f := range facts {
				smin, smax := 0, 0
				for _, v := range f.form {
					smin += lo[v]
					smax += hi[v]
				}
				if smin > f.hi || smax < f.lo {
					return false
				}
				for _, v := range f.form {
					if l := f.lo - (smax - hi[v]); l > lo[v] {
						lo[v], changed = l, true
					}
					if h := f.hi - (smin - lo[v]); h < hi[v] {
						hi[v], changed = h, true
					}
					if lo[v] > hi[v] {
						return false
					}
				}
			}
		}
		pick := -1
		for v := range n {
			if lo[v] < hi[v] && (pick < 0 || hi[v]-lo[v] < hi[pick]-lo[pick]) {
				pick = v
			}
		}
		if pick < 0 {
			return true // every count fixed, every fact met
		}
		c := min(max(truth[pick], lo[pick]), hi[pick])
		for d := 0; c-d >= lo[pick] || c+d <= hi[pick]; d++ {
			for _, val := range []int{c - d, c + d} {
				if val < lo[pick] || val > hi[pick] || (d == 0 && val != c) {
					continue
				}
				l2, h2 := slices.Clone(lo), slices.Clone(hi)
				l2[pick], h2[pick] = val, val
				if search(l2, h2) {
					return true
				}
				if d == 0 {
					break
				}
			}
		}
		return false
	}
	return search(lo, hi)
}

// fact turns a published cell into what the reader knows.
func fact(form []int, c Cell, t, limit int, name string) known {
	switch c.Mark {
	case Small:
		return known{form: form, lo: 0, hi: t - 1, target: true, name: name}
	case Hidden:
		return known{form: form, lo: t, hi: limit * len(form), target: true, name: name}
	}
	return known{form: form, lo: c.Value, hi: c.Value, name: name}
}

// TestSuppressedCellsCannotBeRecoveredOneWay: a table of one dimension
// with its total (and folding into "other"), on random counts.
func TestSuppressedCellsCannotBeRecoveredOneWay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 400 {
		th := MinThreshold + rng.IntN(3)
		n := 2 + rng.IntN(4)
		counts := make([]int, n)
		sum := 0
		for i := range counts {
			counts[i] = rng.IntN(3 * th)
			sum += counts[i]
		}
		fold := rng.IntN(2) == 0
		other := -1
		if fold {
			other = n - 1
		}
		cells, tot := publishColumn(counts, true, false, fold, other, th)
		limit := sum + th
		var facts []known
		all := make([]int, n)
		for i := range n {
			all[i] = i
		}
		var folded []int
		for i, c := range cells {
			if c.Folded {
				folded = append(folded, i)
			}
		}
		for i, c := range cells {
			if c.Folded {
				continue
			}
			form := []int{i}
			if i == other {
				form = append(form, folded...)
			}
			facts = append(facts, fact(form, c, th, limit, fmt.Sprintf("row %d", i)))
			if c.Mark == Shown && c.Value != counts[i] && i != other {
				t.Fatalf("run %d: row %d shows %d, counted %d", run, i, c.Value, counts[i])
			}
			if c.Mark == Small && counts[i] >= th {
				t.Fatalf("run %d: row %d of %d shown as small", run, i, counts[i])
			}
		}
		facts = append(facts, fact(all, tot, th, limit, "total"))
		if rec := attack(t, counts, limit, facts); len(rec) > 0 {
			t.Fatalf("run %d (T=%d, counts %v): recovered %v from %v / total %v", run, th, counts, rec, cells, tot)
		}
	}
}

// TestSuppressedCellsCannotBeRecoveredAcrossTables: the tables by kind,
// by category, by organisation type and praise by organisation type,
// which overlap, on random counts.
func TestSuppressedCellsCannotBeRecoveredAcrossTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range 100 {
		th := MinThreshold
		nk, nc := 2+rng.IntN(2), 3+rng.IntN(2)
		catGroup := make([]int, nc)
		ng := 2
		for c := range catGroup {
			catGroup[c] = rng.IntN(ng)
		}
		val := make([]int, nk*nc)
		sum := 0
		for i := range val {
			if rng.IntN(3) > 0 {
				val[i] = rng.IntN(8)
			}
			sum += val[i]
		}
		jp := newJointProblem(val, nk, catGroup, ng, rng.IntN(nk), th, false)
		jp.protect()
		limit := sum + th
		var facts []known
		for i, it := range jp.items {
			if len(it.form) == 0 {
				continue // an organisation type without categories: zero, as everyone knows
			}
			facts = append(facts, fact(it.form, cellOf(it), th, limit, fmt.Sprintf("item %d %v", i, it.form)))
		}
		if rec := attack(t, val, limit, facts); len(rec) > 0 {
			t.Fatalf("run %d: counts %v (groups %v): recovered %v", run, val, catGroup, rec)
		}
	}
}

// TestSuppressedCellsCannotBeRecoveredFromLastMonth: the dashboard's
// month and cumulative figures, read together with last month's
// dashboard.
func TestSuppressedCellsCannotBeRecoveredFromLastMonth(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for run := range 200 {
		th := MinThreshold
		n := 1 + rng.IntN(3)
		nm := 2 + rng.IntN(3)
		total := rng.IntN(2) == 0 || n > 1
		data := make([][]int, nm)
		for k := range data {
			data[k] = make([]int, n)
			for i := range data[k] {
				data[k][i] = rng.IntN(2 * th)
			}
		}
		ms := make([]Period, nm)
		for k := range ms {
			ms[k] = Month(2026, time.Month(1+k))
		}
		rows := make([]Row, n)
		s := series{rows: rows, total: total, pop: "p", counts: func(m Period) []int {
			return data[int(m.From.Month())-1]
		}}
		curM, curC, curMT, curCT := publishSeries(s, ms, th, totals{})
		prevM, prevC, prevMT, prevCT := publishSeries(s, ms[:nm-1], th, totals{})
		// Counts: a_i (cumulative two months back), b_i (last month), c_i.
		limit := 0
		for _, row := range data {
			for _, v := range row {
				limit += v
			}
		}
		limit += th
		var facts []known
		var allB, allAB, allC, allABC []int
		for i := range n {
			a, b, c := i, n+i, 2*n+i
			facts = append(facts,
				fact([]int{b}, prevM[i], th, limit, fmt.Sprintf("last month row %d", i)),
				fact([]int{a, b}, prevC[i], th, limit, fmt.Sprintf("last cumulative row %d", i)),
				fact([]int{c}, curM[i], th, limit, fmt.Sprintf("month row %d", i)),
				fact([]int{a, b, c}, curC[i], th, limit, fmt.Sprintf("cumulative row %d", i)))
			if nm == 2 {
				facts = append(facts, known{form: []int{a}, lo: 0, hi: 0, name: "before the start"})
			}
			allB, allAB, allC, allABC = append(allB, b), append(allAB, a, b), append(allC, c), append(allABC, a, b, c)
		}
		if total {
			facts = append(facts, fact(allB, prevMT, th, limit, "last month total"), fact(allAB, prevCT, th, limit, "last cumulative total"),
				fact(allC, curMT, th, limit, "month total"), fact(allABC, curCT, th, limit, "cumulative total"))
		}
		truth := make([]int, 3*n)
		for i := range n {
			for k := 0; k < nm-2; k++ {
				truth[i] += data[k][i]
			}
			truth[n+i], truth[2*n+i] = data[nm-2][i], data[nm-1][i]
		}
		if rec := attack(t, truth, limit, facts); len(rec) > 0 {
			t.Fatalf("run %d: months %v: recovered %v\nlast: %v %v %v %v\nnow: %v %v %v %v", run, data, rec,
				prevM, prevC, prevMT, prevCT, curM, curC, curMT, curCT)
		}
	}
}

// TestProtectHidesOnlyWhatItMust: a table with no small count is shown
// whole, and a lone small count gets exactly one companion.
func TestProtectHidesOnlyWhatItMust(t *testing.T) {
	cells, tot := publishColumn([]int{12, 30, 15}, true, false, false, -1, 10)
	for i, c := range cells {
		if c.Mark != Shown {
			t.Fatalf("row %d hidden in a table without small counts: %v", i, cells)
		}
	}
	if tot.Mark != Shown || tot.Value != 57 {
		t.Fatalf("total %v", tot)
	}
	cells, tot = publishColumn([]int{3, 30, 15}, true, false, false, -1, 10)
	want := []Mark{Small, Shown, Hidden}
	for i, c := range cells {
		if c.Mark != want[i] {
			t.Fatalf("marks %v, want %v", cells, want)
		}
		if c.Mark != Shown && c.Value != 0 {
			t.Fatalf("a suppressed cell carries its count: %v", cells)
		}
	}
	if tot.Mark != Shown || cells[0].Text(10) != "< 10" || cells[2].Text(10) != "x" {
		t.Fatalf("total %v, texts %q %q", tot, cells[0].Text(10), cells[2].Text(10))
	}
}

// TestAttackerRecoversWhatPrimarySuppressionLeaves: the attacker is not
// toothless: with the small counts hidden and nothing else, she works
// them out from the totals, and from last month's cumulative figures.
func TestAttackerRecoversWhatPrimarySuppressionLeaves(t *testing.T) {
	counts := []int{3, 30, 15}
	facts := []known{
		{form: []int{0}, lo: 0, hi: 9, target: true, name: "row 0"},
		{form: []int{1}, lo: 30, hi: 30}, {form: []int{2}, lo: 15, hi: 15},
		{form: []int{0, 1, 2}, lo: 48, hi: 48},
	}
	if rec := attack(t, counts, 60, facts); !slices.Equal(rec, []string{"row 0"}) {
		t.Fatalf("recovered %v, want row 0", rec)
	}
	// Last month's cumulative 12, this month's 15: this month's 3 shows.
	truth := []int{0, 12, 3} // a, b, c
	facts = []known{
		{form: []int{0}, lo: 0, hi: 0}, {form: []int{1}, lo: 12, hi: 12}, {form: []int{0, 1}, lo: 12, hi: 12},
		{form: []int{2}, lo: 0, hi: 9, target: true, name: "month"}, {form: []int{0, 1, 2}, lo: 15, hi: 15},
	}
	if rec := attack(t, truth, 40, facts); !slices.Equal(rec, []string{"month"}) {
		t.Fatalf("recovered %v, want the month", rec)
	}
}
