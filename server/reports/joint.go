package reports

import (
	"github.com/gehoord/gehoord/server/cases"
)

// The tables by kind, by category, by organisation type and of praise by
// organisation type all count the same cases and overlap: an organisation
// type is the sum of its categories, praise by organisation type is a
// part of both the praise row and the organisation type's row. They are
// protected together, as one problem over the counts by kind and category
// (the counts no one sees), so no count of one can be worked out with the
// help of another.
type jointTables struct {
	kind, category, group, praiseGroup Table
}

// jointColumn publishes one period's column of the four tables.
func jointColumn(recs []*Record, t int, hideTotal bool) (kind, cat, group, praise []Cell, total Cell) {
	nk, nc := len(cases.Kinds), len(cases.Categories)
	ki := map[string]int{}
	for i, k := range cases.Kinds {
		ki[k] = i
	}
	ci := map[string]int{}
	for i, c := range cases.Categories {
		ci[c.ID] = i
	}
	catGroup := make([]int, nc)
	for c, cat := range cases.Categories {
		catGroup[c] = indexOf(cases.Groups, cat.Group)
	}
	other := ci["other"]
	val := make([]int, nk*nc)
	for _, r := range recs {
		k, ok := ki[r.Kind]
		if !ok {
			continue
		}
		c, ok := ci[r.Category]
		if !ok {
			c = other
		}
		val[k*nc+c]++
	}
	jp := newJointProblem(val, nk, catGroup, len(cases.Groups), ki[string(cases.KindPraise)], t, hideTotal)
	jp.protect()
	pub := func(ids []int) []Cell {
		out := make([]Cell, len(ids))
		for i, id := range ids {
			out[i] = cellOf(jp.items[id])
		}
		return out
	}
	return pub(jp.kind), pub(jp.cat), pub(jp.group), pub(jp.praise), cellOf(jp.items[jp.total])
}

// jointProblem is the problem of the four tables over counts by kind (nk)
// and category (len(catGroup)); the items of each table by index.
type jointProblem struct {
	*problem
	kind, cat, group, praise []int
	total                    int
}

func newJointProblem(val []int, nk int, catGroup []int, ng, praiseK, t int, hideTotal bool) *jointProblem {
	nc := len(catGroup)
	jp := &jointProblem{problem: &problem{nvars: nk * nc, t: t}}
	p := jp.problem
	add := func(form []int) int {
		s := 0
		for _, v := range form {
			s += val[v]
		}
		p.items = append(p.items, item{form: form, value: s})
		return len(p.items) - 1
	}
	for k := range nk {
		var f []int
		for c := range nc {
			f = append(f, k*nc+c)
		}
		jp.kind = append(jp.kind, add(f))
	}
	for c := range nc {
		var f []int
		for k := range nk {
			f = append(f, k*nc+c)
		}
		jp.cat = append(jp.cat, add(f))
	}
	for g := range ng {
		var f, pf []int
		for c := range nc {
			if catGroup[c] != g {
				continue
			}
			pf = append(pf, praiseK*nc+c)
			for k := range nk {
				f = append(f, k*nc+c)
			}
		}
		jp.group = append(jp.group, add(f))
		jp.praise = append(jp.praise, add(pf))
	}
	all := make([]int, nk*nc)
	for i := range all {
		all[i] = i
	}
	jp.total = add(all)
	if hideTotal && p.items[jp.total].value >= t {
		p.items[jp.total].mark, p.items[jp.total].fixed = Hidden, true
	}
	return jp
}

func cellOf(it item) Cell {
	if it.mark == Shown {
		return Cell{Value: it.value}
	}
	return Cell{Mark: it.mark}
}

// joint builds the four tables for p and its previous period.
func joint(d *Data, p Period, t int, hide totals) jointTables {
	prev := p.Previous()
	mk := func(id, title, how string, rows []Row) Table {
		tb := Table{ID: id, Title: title, How: how, Rows: rows, Total: &Row{Key: "total", Label: "staff.reports.total"},
			ColumnText: []string{p.Label(), prev.Label()}, Change: true}
		for i := range tb.Rows {
			tb.Rows[i].Cells = make([]Cell, 2)
		}
		tb.Total.Cells = make([]Cell, 2)
		return tb
	}
	j := jointTables{
		kind:        mk("kind", "staff.reports.by_kind", "staff.reports.how_received", kindRows()),
		category:    mk("category", "staff.reports.by_category", "staff.reports.how_received", categoryRows()),
		group:       mk("group", "staff.reports.by_group", "staff.reports.how_group", groupRows()),
		praiseGroup: mk("praise_group", "staff.reports.praise_by_group", "staff.reports.how_praise", groupRows()),
	}
	for col, per := range []Period{p, prev} {
		key := "received/" + per.Value()
		k, c, g, pr, tot := jointColumn(received(d, per), t, hide[key])
		if tot.Mark == Hidden {
			hide[key] = true
		}
		for i := range k {
			j.kind.Rows[i].Cells[col] = k[i]
		}
		for i := range c {
			j.category.Rows[i].Cells[col] = c[i]
		}
		for i := range g {
			j.group.Rows[i].Cells[col] = g[i]
			j.praiseGroup.Rows[i].Cells[col] = pr[i]
		}
		j.kind.Total.Cells[col], j.category.Total.Cells[col], j.group.Total.Cells[col] = tot, tot, tot
		// Praise's total is the praise row of the kind table.
		j.praiseGroup.Total.Cells[col] = k[indexOf(cases.Kinds, string(cases.KindPraise))]
	}
	return j
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
