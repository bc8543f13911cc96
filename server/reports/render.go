package reports

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
)

// Translate renders a catalog key in the page's language.
type Translate func(key string, args ...any) string

// RowLabel is a row's label in the page's language.
func RowLabel(r Row, t Translate) string {
	if r.Label != "" {
		return t(r.Label)
	}
	return r.Text
}

// RowExtra is a row's extra label (a theme's organisation).
func RowExtra(r Row, t Translate) string {
	var parts []string
	if r.ExtraKey != "" {
		parts = append(parts, t(r.ExtraKey))
	}
	if r.ExtraText != "" {
		parts = append(parts, r.ExtraText)
	}
	return strings.Join(parts, " · ")
}

// ColumnHeads are the table's column heads in the page's language.
func ColumnHeads(tb Table, t Translate) []string {
	if len(tb.ColumnText) > 0 {
		return tb.ColumnText
	}
	out := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		out[i] = t(c)
	}
	return out
}

// SVG draws the table's first column as horizontal bars: only shown counts
// get a bar; a suppressed one is written as it is in the table. The
// drawing has a title and a description, and the table beside it carries
// every figure, so nothing is only in the picture.
func SVG(tb Table, threshold int, t Translate) string {
	const (
		width  = 640
		labelW = 230
		barMax = 330
		rowH   = 22
		top    = 8
	)
	rows := tb.Rows
	maxV := 1
	for _, r := range rows {
		if c := r.Cells[0]; c.Mark == Shown && !c.Folded && !c.Absent && c.Value > maxV {
			maxV = c.Value
		}
	}
	h := top*2 + rowH*len(rows)
	id := "chart-" + tb.ID
	var b strings.Builder
	title := t(tb.Title)
	heads := ColumnHeads(tb, t)
	col := ""
	if len(heads) > 0 {
		col = heads[0]
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s-title %s-desc">`, width, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, esc(title+" ("+col+")"))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s</desc>`, id, esc(t("staff.reports.chart_desc", "threshold", threshold)))
	for i, r := range rows {
		y := top + i*rowH
		c := r.Cells[0]
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" class="chart-label">%s</text>`, labelW-8, y+15, esc(clip(RowLabel(r, t), 32)))
		if c.Mark == Shown && !c.Folded && !c.Absent {
			w := c.Value * barMax / maxV
			if c.Value > 0 && w < 2 {
				w = 2
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="chart-bar"/>`, labelW, y+3, w, rowH-6)
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value">%d</text>`, labelW+w+6, y+15, c.Value)
		} else {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="chart-value chart-suppressed">%s</text>`, labelW+6, y+15, esc(c.Text(threshold)))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// WriteCSV writes exactly the published tables: per table a line with its
// title, a head line, its rows and its total, as the page shows them
// ("< T" and "x" for suppressed counts), and an empty line. Cells a
// spreadsheet would read as a formula are quoted with a leading '.
func WriteCSV(w io.Writer, tables []Table, threshold int, t Translate) error {
	cw := csv.NewWriter(w)
	for _, tb := range tables {
		if err := cw.Write([]string{safe(t(tb.Title))}); err != nil {
			return err
		}
		if err := cw.Write(csvHead(tb, t)); err != nil {
			return err
		}
		rows := tb.Rows
		if tb.Total != nil {
			rows = append(rows[:len(rows):len(rows)], *tb.Total)
		}
		for _, r := range rows {
			if err := cw.Write(CSVRow(tb, r, threshold, t)); err != nil {
				return err
			}
		}
		if err := cw.Write([]string{}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvHead(tb Table, t Translate) []string {
	head := []string{""}
	if tb.Extra != "" {
		head = append(head, t(tb.Extra))
	}
	head = append(head, ColumnHeads(tb, t)...)
	if tb.Change {
		head = append(head, t("staff.reports.change"))
	}
	for i := range head {
		head[i] = safe(head[i])
	}
	return head
}

// CSVRow is one row as published (the page's table shows the same cells).
func CSVRow(tb Table, r Row, threshold int, t Translate) []string {
	out := []string{safe(RowLabel(r, t))}
	if tb.Extra != "" {
		out = append(out, safe(RowExtra(r, t)))
	}
	for _, c := range r.Cells {
		out = append(out, c.Text(threshold))
	}
	if tb.Change {
		out = append(out, ChangeText(r))
	}
	return out
}

// ChangeText is the change against the previous period ("+3", "-2",
// "0"), or "" when either count is suppressed.
func ChangeText(r Row) string {
	d, ok := r.Change()
	if !ok {
		return ""
	}
	if d > 0 {
		return "+" + strconv.Itoa(d)
	}
	return strconv.Itoa(d)
}

func safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
