// Package reports computes the desk's anonymised reports and the pilot's
// evaluation figures: counts only, from projected reads of the cases and
// their timelines (never a sealed field, never a name), with every count
// below the threshold suppressed and complementary suppression so that no
// suppressed count can be worked out from totals or from the previous
// period's report. Aggregation is done in Go: FerretDB v1 has few
// aggregation stages, and a year of cases fits in memory as small records.
package reports

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gehoord/gehoord/server/workdays"
)

// Period kinds.
const (
	KindMonth   = "month"
	KindQuarter = "quarter"
	KindYear    = "year"
	KindRange   = "range"
)

// Period is [From, To) in Amsterdam time, whole days.
type Period struct {
	Kind string
	From time.Time
	To   time.Time
}

// ErrPeriod: the period could not be read.
var ErrPeriod = errors.New("reports: not a period")

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, workdays.Amsterdam)
}

// Month is one calendar month.
func Month(y int, m time.Month) Period {
	return Period{KindMonth, day(y, m, 1), day(y, m+1, 1)}
}

// Quarter is one quarter (q 1-4).
func Quarter(y, q int) Period {
	return Period{KindQuarter, day(y, time.Month(3*q-2), 1), day(y, time.Month(3*q+1), 1)}
}

// Year is one calendar year.
func Year(y int) Period { return Period{KindYear, day(y, 1, 1), day(y+1, 1, 1)} }

// Range is from's date up to and including to's date.
func Range(from, to time.Time) Period {
	f, t := from.In(workdays.Amsterdam), to.In(workdays.Amsterdam)
	return Period{KindRange, day(f.Year(), f.Month(), f.Day()), day(t.Year(), t.Month(), t.Day()+1)}
}

// Parse reads a period as the report form sends it: kind and value
// ("2026-03", "2026-Q1", "2026", or from and to as dates).
func Parse(kind, value, from, to string) (Period, error) {
	switch kind {
	case KindMonth:
		t, err := time.ParseInLocation("2006-01", value, workdays.Amsterdam)
		if err != nil {
			return Period{}, ErrPeriod
		}
		return Month(t.Year(), t.Month()), nil
	case KindQuarter:
		y, q, ok := strings.Cut(strings.ToUpper(value), "-Q")
		yy, err1 := strconv.Atoi(y)
		qq, err2 := strconv.Atoi(q)
		if !ok || err1 != nil || err2 != nil || qq < 1 || qq > 4 || yy < 2000 || yy > 2200 {
			return Period{}, ErrPeriod
		}
		return Quarter(yy, qq), nil
	case KindYear:
		y, err := strconv.Atoi(value)
		if err != nil || y < 2000 || y > 2200 {
			return Period{}, ErrPeriod
		}
		return Year(y), nil
	case KindRange:
		f, err1 := time.ParseInLocation("2006-01-02", from, workdays.Amsterdam)
		t, err2 := time.ParseInLocation("2006-01-02", to, workdays.Amsterdam)
		if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 5*366*24*time.Hour {
			return Period{}, ErrPeriod
		}
		return Range(f, t), nil
	}
	return Period{}, ErrPeriod
}

// Previous is the period just before: the previous month, quarter or
// year, or a range of as many days ending where p starts.
func (p Period) Previous() Period {
	f := p.From
	switch p.Kind {
	case KindMonth:
		return Month(f.Year(), f.Month()-1)
	case KindQuarter:
		return Period{KindQuarter, day(f.Year(), f.Month()-3, 1), f}
	case KindYear:
		return Year(f.Year() - 1)
	}
	days := int(p.To.Sub(p.From).Hours()/24 + 0.5)
	return Period{KindRange, day(f.Year(), f.Month(), f.Day()-days), f}
}

// Contains says whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Last is the period's last day.
func (p Period) Last() time.Time { return p.To.AddDate(0, 0, -1) }

// Value is the period as the form writes it.
func (p Period) Value() string {
	switch p.Kind {
	case KindMonth:
		return p.From.Format("2006-01")
	case KindQuarter:
		return fmt.Sprintf("%d-Q%d", p.From.Year(), (int(p.From.Month())+2)/3)
	case KindYear:
		return strconv.Itoa(p.From.Year())
	}
	return p.From.Format("2006-01-02") + ".." + p.Last().Format("2006-01-02")
}

// Label is the period for a title: "2026-03", "2026-Q1", "2026", or
// "2026-01-01 – 2026-02-15".
func (p Period) Label() string {
	if p.Kind == KindRange {
		return p.From.Format("2006-01-02") + " – " + p.Last().Format("2006-01-02")
	}
	return p.Value()
}

// months lists the months from the one holding from up to and including
// the one holding to.
func months(from, to time.Time) []Period {
	f, t := from.In(workdays.Amsterdam), to.In(workdays.Amsterdam)
	var out []Period
	for m := Month(f.Year(), f.Month()); !m.From.After(t); m = Month(m.From.Year(), m.From.Month()+1) {
		out = append(out, m)
	}
	return out
}
