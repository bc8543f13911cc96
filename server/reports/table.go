package reports

import (
	"slices"
	"strconv"
)

// Cell is one published count. Value is the count when Mark is Shown and
// zero otherwise: a suppressed count never leaves this package.
type Cell struct {
	Value int
	Mark  Mark
	// Folded: the count was folded into "other" and is not shown apart.
	Folded bool
	// Absent: the table has no such column (no previous period).
	Absent bool
}

// Text is the cell as printed: the count, "< T" for a small one, "x" for
// one hidden to protect others, "" when folded or absent.
func (c Cell) Text(t int) string {
	switch {
	case c.Absent || c.Folded:
		return ""
	case c.Mark == Small:
		return "< " + strconv.Itoa(t)
	case c.Mark == Hidden:
		return "x"
	}
	return strconv.Itoa(c.Value)
}

// Row is one line of a table. Label is a catalog key, or Text when the
// row names something the desk wrote (a theme) or a proper name (a safety
// region, a batch, a language code).
type Row struct {
	Key   string
	Label string
	Text  string
	// Extra are further label columns (a theme's organisation type key
	// and its organisation's name).
	ExtraKey  string
	ExtraText string
	Cells     []Cell
}

// Change is the difference of the first two cells, when both are shown.
func (r Row) Change() (int, bool) {
	if len(r.Cells) < 2 || r.Cells[0].Mark != Shown || r.Cells[1].Mark != Shown || r.Cells[0].Absent || r.Cells[1].Absent ||
		r.Cells[0].Folded || r.Cells[1].Folded {
		return 0, false
	}
	return r.Cells[0].Value - r.Cells[1].Value, true
}

// Table is one published table: rows by columns of counts, with a total
// row when the rows add up (they do not for themes: a case may be linked
// to several).
type Table struct {
	ID    string
	Title string // catalog key
	How   string // catalog key: how the figures are computed
	// Columns are catalog keys of the column heads (or Columns given as
	// period labels in ColumnText).
	Columns    []string
	ColumnText []string
	Rows       []Row
	Total      *Row
	// Change: show the difference of the first two columns.
	Change bool
	// Extra names the head of the extra label column, if any.
	Extra string
}

// tableSpec is a table before suppression: counts per row for each column.
type tableSpec struct {
	rows   []Row // labels only
	counts [][]int
	total  bool
	fold   bool // fold rows below the threshold into the "other" row
	other  string
	// hideTotal[c]: the column's total is hidden (another table of the
	// same cases needed it hidden, and a total is one figure everywhere).
	hideTotal []bool
}

// publish suppresses one column of a table on its own: the column is a
// count of one period's cases, independent of any other period's, so its
// suppression depends on that period's data alone and the previous
// period's report shows the same cells.
func publishColumn(counts []int, total, hideTotal, fold bool, otherIdx, t int) (cells []Cell, tot Cell) {
	n := len(counts)
	cells = make([]Cell, n)
	folded := make([]bool, n)
	if fold && otherIdx >= 0 {
		for i, v := range counts {
			if i != otherIdx && v < t {
				folded[i] = true
			}
		}
	}
	p := &problem{nvars: n, t: t}
	rowItem := make([]int, n)
	for i := range counts {
		rowItem[i] = -1
		if folded[i] {
			continue
		}
		form := []int{i}
		val := counts[i]
		if i == otherIdx {
			for j := range counts {
				if folded[j] {
					form = append(form, j)
					val += counts[j]
				}
			}
		}
		rowItem[i] = len(p.items)
		p.items = append(p.items, item{form: form, value: val})
	}
	totItem := -1
	if total {
		all := make([]int, n)
		sum := 0
		for i := range all {
			all[i] = i
			sum += counts[i]
		}
		totItem = len(p.items)
		it := item{form: all, value: sum}
		if hideTotal && sum >= t {
			it.mark, it.fixed = Hidden, true
		}
		p.items = append(p.items, it)
	}
	p.protect()
	pub := func(it item) Cell {
		if it.mark == Shown {
			return Cell{Value: it.value}
		}
		return Cell{Mark: it.mark}
	}
	for i := range counts {
		if rowItem[i] < 0 {
			cells[i] = Cell{Folded: true}
			continue
		}
		cells[i] = pub(p.items[rowItem[i]])
	}
	if totItem >= 0 {
		tot = pub(p.items[totItem])
	}
	return cells, tot
}

// build publishes a table whose columns are independent periods.
func (s tableSpec) build(id, title, how string, columns []string, t int) Table {
	tb := Table{ID: id, Title: title, How: how, Columns: columns, Rows: slices.Clone(s.rows)}
	otherIdx := -1
	for i, r := range s.rows {
		if r.Key == s.other && s.other != "" {
			otherIdx = i
		}
	}
	for i := range tb.Rows {
		tb.Rows[i].Cells = make([]Cell, len(s.counts))
	}
	var total Row
	if s.total {
		total = Row{Key: "total", Label: "staff.reports.total", Cells: make([]Cell, len(s.counts))}
	}
	for c, col := range s.counts {
		if col == nil {
			for i := range tb.Rows {
				tb.Rows[i].Cells[c] = Cell{Absent: true}
			}
			if s.total {
				total.Cells[c] = Cell{Absent: true}
			}
			continue
		}
		cells, tot := publishColumn(col, s.total, c < len(s.hideTotal) && s.hideTotal[c], s.fold, otherIdx, t)
		for i := range tb.Rows {
			tb.Rows[i].Cells[c] = cells[i]
		}
		if s.total {
			total.Cells[c] = tot
		}
	}
	// A folded row with nothing left to show is left out.
	rows := tb.Rows[:0]
	for _, r := range tb.Rows {
		if slices.ContainsFunc(r.Cells, func(c Cell) bool { return !c.Folded && !c.Absent }) {
			rows = append(rows, r)
		}
	}
	tb.Rows = rows
	if s.total {
		tb.Total = &total
	}
	return tb
}
