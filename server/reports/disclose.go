package reports

import (
	"math"
	"slices"
)

// Mark says how a published cell is shown.
type Mark int

// The marks of a cell.
const (
	// Shown: the count is published.
	Shown Mark = iota
	// Small: the count is below the threshold and shown as "< T".
	Small
	// Hidden: the count is at least the threshold but hidden so that no
	// small count can be worked out from totals (complementary
	// suppression); shown as "x".
	Hidden
)

// MinThreshold is the least threshold the desk may configure.
const MinThreshold = 5

// DefaultThreshold is the threshold unless configured otherwise.
const DefaultThreshold = 10

// An item is one published number: the sum of some base counts (the
// cells of the underlying data no one sees), its true value and its mark.
// The base counts are never negative and have no upper bound.
type item struct {
	form  []int
	value int
	mark  Mark
	// fixed items may not be hidden any more (they were published in an
	// earlier report the reader also has).
	fixed bool
}

// problem is everything a reader has: the items of this report and of the
// previous one, over nvars base counts. What she knows of an item is its
// value when Shown, [0, T-1] when Small and [T, ∞) when Hidden.
type problem struct {
	nvars int
	t     int
	items []item
}

// firstRecovered is the first item not Shown yet whose value the reader
// can work out exactly (its least and greatest value over every integer
// solution are the same), or -1. The constraint matrices these reports
// give (two laminar families: sums within a row over time, sums over rows)
// are totally unimodular, so the bounds of the linear relaxation are the
// integer bounds and a linear program finds them exactly.
func (p *problem) firstRecovered() int {
	a := p.analyse()
	for i, it := range p.items {
		if it.mark != Shown && a.determined(p, i) {
			return i
		}
	}
	return -1
}

// analysis is what the reader knows at once: the counts the shown items
// fix, and the components of the others with their linear systems.
type analysis struct {
	fixed []bool
	val   []int
	root  []int // per count: its component, -1 when fixed
	lps   map[int]*compLP
}

func (p *problem) analyse() *analysis {
	fixed := make([]bool, p.nvars)
	val := make([]int, p.nvars)
	// Presolve: a Shown item with one unknown count fixes that count.
	for changed := true; changed; {
		changed = false
		for _, it := range p.items {
			if it.mark != Shown {
				continue
			}
			free, sum := -1, 0
			n := 0
			for _, v := range it.form {
				if fixed[v] {
					sum += val[v]
				} else {
					free = v
					n++
				}
			}
			if n == 1 {
				fixed[free], val[free] = true, it.value-sum
				changed = true
			}
		}
	}
	// Components of the unknown counts that items tie together.
	parent := make([]int, p.nvars)
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, it := range p.items {
		first := -1
		for _, v := range it.form {
			if fixed[v] {
				continue
			}
			if first < 0 {
				first = v
			} else {
				parent[find(v)] = find(first)
			}
		}
	}
	a := &analysis{fixed: fixed, val: val, root: make([]int, p.nvars), lps: map[int]*compLP{}}
	for v := range p.nvars {
		a.root[v] = -1
		if !fixed[v] {
			a.root[v] = find(v)
		}
	}
	return a
}

// determined says whether item i's value is the same in every solution.
func (a *analysis) determined(p *problem, i int) bool {
	it := p.items[i]
	root := -1
	for _, v := range it.form {
		if !a.fixed[v] {
			root = a.root[v]
			break
		}
	}
	if root < 0 {
		return true // every count in it is known
	}
	lp, ok := a.lps[root]
	if !ok {
		lp = p.componentLP(root, a)
		a.lps[root] = lp
	}
	// The true value is one solution: one side below or above it settles it.
	lo, okLo := lp.extreme(it.form, a.fixed, a.val, 1)
	if !okLo || lo < float64(it.value)-0.5 {
		return false
	}
	hi, okHi := lp.extreme(it.form, a.fixed, a.val, -1)
	return okHi && hi-lo < 0.5
}

// compLP is the linear system of one component: rows over its unknown
// counts (local indices) and the slack of each bounded item.
type compLP struct {
	local map[int]int // base count -> column
	ncols int
	rows  [][]float64
	rhs   []float64
	tab   *tableau
	ok    bool
	ready bool
}

func (p *problem) componentLP(root int, a *analysis) *compLP {
	fixed, val := a.fixed, a.val
	lp := &compLP{local: map[int]int{}}
	for v := 0; v < p.nvars; v++ {
		if a.root[v] == root {
			lp.local[v] = lp.ncols
			lp.ncols++
		}
	}
	type row struct {
		cols  []int
		slack float64 // +1 (≤), -1 (≥) or 0 (=)
		rhs   float64
	}
	var rows []row
	for _, it := range p.items {
		var cols []int
		sum := 0
		in := false
		for _, v := range it.form {
			if fixed[v] {
				sum += val[v]
				continue
			}
			if c, ok := lp.local[v]; ok {
				cols = append(cols, c)
				in = true
			}
		}
		if !in {
			continue
		}
		switch it.mark {
		case Shown:
			rows = append(rows, row{cols, 0, float64(it.value - sum)})
		case Small:
			rows = append(rows, row{cols, 1, float64(p.t - 1 - sum)})
		case Hidden:
			rows = append(rows, row{cols, -1, float64(p.t - sum)})
		}
	}
	nslack := 0
	for _, r := range rows {
		if r.slack != 0 {
			nslack++
		}
	}
	width := lp.ncols + nslack
	s := lp.ncols
	for _, r := range rows {
		a := make([]float64, width)
		for _, c := range r.cols {
			a[c] = 1
		}
		if r.slack != 0 {
			a[s] = r.slack
			s++
		}
		lp.rows = append(lp.rows, a)
		lp.rhs = append(lp.rhs, r.rhs)
	}
	lp.ncols = width
	return lp
}

// extreme returns the least (sign 1) or greatest (sign -1) value of the
// sum of form's counts; ok is false when it is unbounded or the system has
// no solution (which cannot happen for true data).
func (lp *compLP) extreme(form []int, fixed []bool, val []int, sign float64) (float64, bool) {
	c := make([]float64, lp.ncols)
	base := 0.0
	for _, v := range form {
		if fixed[v] {
			base += float64(val[v])
		} else if col, ok := lp.local[v]; ok {
			c[col] = sign
		}
	}
	if !lp.ready {
		lp.tab, lp.ok = phase1(lp.rows, lp.rhs, lp.ncols)
		lp.ready = true
	}
	if !lp.ok {
		return 0, false
	}
	opt, ok := lp.tab.min(c)
	if !ok {
		return 0, false
	}
	return base + sign*opt, true
}

const eps = 1e-9

// tableau is a feasible basis of A x = b, x ≥ 0 after phase 1 of the
// two-phase simplex method (dense, Bland's rule: no cycling); it is kept
// so that every objective over the same system starts from it.
type tableau struct {
	T     [][]float64
	basis []int
	n     int
}

func phase1(A [][]float64, b []float64, n int) (*tableau, bool) {
	m := len(A)
	// Columns: n originals, m artificials, then the right-hand side.
	w := n + m + 1
	T := make([][]float64, m+1)
	basis := make([]int, m)
	for i := 0; i < m; i++ {
		T[i] = make([]float64, w)
		sg := 1.0
		if b[i] < 0 {
			sg = -1
		}
		for j := 0; j < n; j++ {
			T[i][j] = sg * A[i][j]
		}
		T[i][n+i] = 1
		T[i][w-1] = sg * b[i]
		basis[i] = n + i
	}
	obj := make([]float64, w)
	T[m] = obj
	for i := 0; i < m; i++ {
		for j := 0; j < w; j++ {
			if j < n || j == w-1 {
				obj[j] -= T[i][j]
			}
		}
	}
	if !pivotLoop(T, basis, n+m) {
		return nil, false
	}
	if obj[w-1] < -1e-7 {
		return nil, false
	}
	// Drive artificials out of the basis where possible.
	for i := 0; i < m; i++ {
		if basis[i] < n {
			continue
		}
		for j := 0; j < n; j++ {
			if math.Abs(T[i][j]) > eps {
				pivot(T, basis, i, j)
				break
			}
		}
	}
	return &tableau{T: T, basis: basis, n: n}, true
}

// min runs phase 2 for objective c on a copy of the tableau.
func (tb *tableau) min(c []float64) (float64, bool) {
	m, n := len(tb.basis), tb.n
	if m == 0 {
		for _, v := range c {
			if v < -eps {
				return 0, false
			}
		}
		return 0, true
	}
	T := make([][]float64, m+1)
	for i := range T {
		T[i] = slices.Clone(tb.T[i])
	}
	basis := slices.Clone(tb.basis)
	w := len(T[0])
	obj := T[m]
	for j := range obj {
		obj[j] = 0
	}
	copy(obj, c)
	for i := 0; i < m; i++ {
		if bj := basis[i]; bj < n && obj[bj] != 0 {
			f := obj[bj]
			for j := 0; j < w; j++ {
				obj[j] -= f * T[i][j]
			}
		}
	}
	if !pivotLoop(T, basis, n) {
		return 0, false
	}
	return -obj[w-1], true
}

// pivotLoop pivots until no column among the first cols improves the
// objective row; false when the objective is unbounded.
func pivotLoop(T [][]float64, basis []int, cols int) bool {
	m := len(T) - 1
	w := len(T[0])
	obj := T[m]
	for iter := 0; iter < 50000; iter++ {
		enter := -1
		for j := 0; j < cols; j++ {
			if obj[j] < -eps {
				enter = j
				break
			}
		}
		if enter < 0 {
			return true
		}
		leave := -1
		best := math.Inf(1)
		for i := 0; i < m; i++ {
			if T[i][enter] > eps {
				r := T[i][w-1] / T[i][enter]
				if r < best-eps || (math.Abs(r-best) <= eps && leave >= 0 && basis[i] < basis[leave]) {
					best, leave = r, i
				}
			}
		}
		if leave < 0 {
			return false
		}
		pivot(T, basis, leave, enter)
	}
	return false
}

func pivot(T [][]float64, basis []int, r, c int) {
	w := len(T[0])
	pv := T[r][c]
	for j := 0; j < w; j++ {
		T[r][j] /= pv
	}
	for i := range T {
		if i == r {
			continue
		}
		f := T[i][c]
		if f == 0 {
			continue
		}
		for j := 0; j < w; j++ {
			T[i][j] -= f * T[r][j]
		}
	}
	basis[r] = c
}

// protect marks every item below the threshold Small and then hides more
// items that may still change (not fixed) until no item that is not Shown
// can be worked out. For a recovered item it tries, in this order, the
// counts beside it (sharing a constraint, not containing it: cells before
// their totals), then the items that contain it, then any, each from the
// smallest, and hides the first whose hiding stops the recovery (else the
// first tried). Hiding everything changeable is safe when the fixed items
// were (they were checked with more known), so the loop ends.
func (p *problem) protect() {
	for i := range p.items {
		it := &p.items[i]
		if !it.fixed && it.value < p.t {
			it.mark = Small
		}
	}
	for {
		ri := p.firstRecovered()
		if ri < 0 {
			return
		}
		cands := p.candidates(ri)
		if len(cands) == 0 {
			// Nothing left to hide: cannot happen when the fixed items
			// were safe; hide nothing more rather than loop.
			return
		}
		pick := cands[0]
		for n, c := range cands {
			if n == 8 {
				break
			}
			p.items[c].mark = Hidden
			still := p.analyse().determined(p, ri)
			p.items[c].mark = Shown
			if !still {
				pick = c
				break
			}
		}
		p.items[pick].mark = Hidden
	}
}

// candidates lists the changeable Shown items to hide for recovered item
// r, best first.
func (p *problem) candidates(r int) []int {
	rf := p.items[r].form
	share := func(a, b []int) bool {
		for _, v := range a {
			if slices.Contains(b, v) {
				return true
			}
		}
		return false
	}
	contains := func(a, b []int) bool { // a ⊇ b
		for _, v := range b {
			if !slices.Contains(a, v) {
				return false
			}
		}
		return true
	}
	var near [][]int // shown items sharing a count with r
	for _, it := range p.items {
		if it.mark == Shown && share(it.form, rf) {
			near = append(near, it.form)
		}
	}
	rank := make([]int, len(p.items))
	var out []int
	for i, it := range p.items {
		if it.fixed || it.mark != Shown {
			continue
		}
		switch {
		case !contains(it.form, rf) && slices.ContainsFunc(near, func(f []int) bool { return share(f, it.form) }):
			rank[i] = 0
		case share(it.form, rf):
			rank[i] = 1
		default:
			rank[i] = 2
		}
		out = append(out, i)
	}
	slices.SortStableFunc(out, func(a, b int) int {
		if rank[a] != rank[b] {
			return rank[a] - rank[b]
		}
		return p.items[a].value - p.items[b].value
	})
	return out
}
