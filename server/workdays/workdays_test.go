package workdays

import (
	"testing"
	"time"
)

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, Amsterdam) }

func eod(y int, m time.Month, day int) time.Time {
	return time.Date(y, m, day, 23, 59, 59, 0, Amsterdam)
}

func TestEaster(t *testing.T) {
	for _, want := range []time.Time{
		d(2024, time.March, 31), d(2025, time.April, 20), d(2026, time.April, 5),
		d(2027, time.March, 28), d(2030, time.April, 21), d(2019, time.April, 21),
		d(2038, time.April, 25), d(2285, time.March, 22),
	} {
		if got := Easter(want.Year()); !got.Equal(want) {
			t.Errorf("Easter(%d) = %s, want %s", want.Year(), got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
}

func holidaySet(year int) map[string]string {
	m := map[string]string{}
	for _, h := range Holidays(year) {
		m[h.Date.Format(time.DateOnly)] = h.Name
	}
	return m
}

func TestHolidays2026(t *testing.T) {
	want := map[string]string{
		"2026-01-01": "New Year's Day",
		"2026-04-05": "Easter Sunday",
		"2026-04-06": "Easter Monday",
		"2026-04-27": "King's Day",
		"2026-05-14": "Ascension Day",
		"2026-05-24": "Whit Sunday",
		"2026-05-25": "Whit Monday",
		"2026-12-25": "Christmas Day",
		"2026-12-26": "Boxing Day",
	}
	got := holidaySet(2026)
	if len(got) != len(want) {
		t.Errorf("Holidays(2026) has %d days, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Holidays(2026)[%s] = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["2026-04-03"]; ok {
		t.Error("Good Friday must not be a holiday")
	}
	hs := Holidays(2026)
	for i := 1; i < len(hs); i++ {
		if !hs[i-1].Date.Before(hs[i].Date) {
			t.Errorf("Holidays not in date order at %d: %v", i, hs)
		}
	}
	for _, h := range hs {
		if h.Date.Location() != Amsterdam || h.Date.Hour() != 0 {
			t.Errorf("holiday %s not midnight Amsterdam: %v", h.Name, h.Date)
		}
	}
}

func TestKingsDay(t *testing.T) {
	cases := map[int]string{
		2025: "2025-04-26", // 27 April is a Sunday -> Saturday 26 April
		2014: "2014-04-26", // the first King's Day, also a Sunday
		2026: "2026-04-27", // Monday
		2019: "2019-04-27", // Saturday: stays
	}
	for y, want := range cases {
		got := holidaySet(y)
		if got[want] != "King's Day" {
			t.Errorf("King's Day %d: want %s, holidays %v", y, want, got)
		}
	}
	if IsWorkingDay(d(2025, time.April, 27)) {
		t.Error("Sunday 27 April 2025 is not a working day (it is a Sunday)")
	}
	if HolidayName(d(2025, time.April, 27)) != "" {
		t.Error("27 April 2025 must not be King's Day")
	}
}

func TestLiberationDay(t *testing.T) {
	for y, want := range map[int]bool{2025: true, 2030: true, 2026: false, 2027: false} {
		if got := holidaySet(y)[d(y, time.May, 5).Format(time.DateOnly)] == "Liberation Day"; got != want {
			t.Errorf("Liberation Day %d holiday = %v, want %v", y, got, want)
		}
	}
	if IsWorkingDay(d(2025, time.May, 5)) { // a Monday
		t.Error("Mon 5 May 2025 is Liberation Day (lustrum): not a working day")
	}
	if !IsWorkingDay(d(2026, time.May, 5)) { // a Tuesday
		t.Error("Tue 5 May 2026 is a working day")
	}
}

func TestIsWorkingDay(t *testing.T) {
	cases := []struct {
		t    time.Time
		want bool
	}{
		{d(2026, time.April, 3), true},  // Good Friday
		{d(2026, time.April, 6), false}, // Easter Monday
		{d(2026, time.April, 7), true},  // Tuesday
		{d(2026, time.April, 4), false}, // Saturday
		{d(2026, time.May, 14), false},  // Ascension
		{d(2026, time.May, 25), false},  // Whit Monday
		{d(2026, time.December, 24), true},
		{d(2026, time.December, 25), false},
		{d(2026, time.December, 28), true},
		{d(2027, time.January, 1), false},
		// 23:30 UTC on Sun 5 April 2026 is already Easter Monday in Amsterdam.
		{time.Date(2026, time.April, 5, 23, 30, 0, 0, time.UTC), false},
		// 22:30 UTC on Mon 6 April is 00:30 Tuesday in Amsterdam (CEST).
		{time.Date(2026, time.April, 6, 22, 30, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		if got := IsWorkingDay(c.t); got != c.want {
			t.Errorf("IsWorkingDay(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	cases := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		// Thu 2 Apr 2026 +5: Fri 3 (Good Friday works), Tue 7, Wed 8, Thu 9, Fri 10
		// (Sat/Sun and Easter Monday skipped).
		{"Easter 2026", time.Date(2026, time.April, 2, 10, 0, 0, 0, Amsterdam), 5, eod(2026, time.April, 10)},
		// Thu 24 Dec 2026 +5: Fri 25 and Sat 26 Dec holidays, Sun 27; Mon 28,
		// Tue 29, Wed 30, Thu 31, Fri 1 Jan (New Year) skipped, Mon 4 Jan 2027.
		{"Christmas 2026", time.Date(2026, time.December, 24, 16, 0, 0, 0, Amsterdam), 5, eod(2027, time.January, 4)},
		{"Christmas 2026 one day", d(2026, time.December, 24), 1, eod(2026, time.December, 28)},
		// Thu 24 Apr 2025 +5: Fri 25, (Sat 26 King's Day, Sun 27) Mon 28, Tue 29,
		// Wed 30, Thu 1 May.
		{"King's Day on a Sunday 2025", d(2025, time.April, 24), 5, eod(2025, time.May, 1)},
		// Fri 25 Apr 2025 +5 ends Fri 2 May; +6 runs into Liberation Day (Mon
		// 5 May 2025, lustrum) and lands on Tue 6 May.
		{"Liberation Day 2025", d(2025, time.April, 25), 6, eod(2025, time.May, 6)},
		{"zero", time.Date(2026, time.June, 6, 8, 0, 0, 0, Amsterdam), 0, eod(2026, time.June, 6)},
		// Late UTC evening is already the next day in Amsterdam.
		{"timezone", time.Date(2026, time.April, 1, 22, 30, 0, 0, time.UTC), 1, eod(2026, time.April, 3)},
	}
	for _, c := range cases {
		got := AddWorkingDays(c.from, c.n)
		if !got.Equal(c.want) {
			t.Errorf("%s: AddWorkingDays(%v, %d) = %v, want %v", c.name, c.from, c.n, got, c.want)
		}
		if got.Location() != Amsterdam {
			t.Errorf("%s: location %v, want Amsterdam", c.name, got.Location())
		}
	}
}

func TestDueAfterWeeks(t *testing.T) {
	cases := []struct {
		name  string
		from  time.Time
		weeks int
		want  time.Time
	}{
		{"plain weekday", d(2026, time.March, 2), 3, eod(2026, time.March, 23)},
		// Mon 16 Mar 2026 + 3 weeks = Easter Monday 6 Apr -> Tue 7 Apr.
		{"lands on Easter Monday", d(2026, time.March, 16), 3, eod(2026, time.April, 7)},
		// Sat 7 Mar 2026 + 6 weeks = Sat 18 Apr -> Mon 20 Apr.
		{"lands on Saturday", d(2026, time.March, 7), 6, eod(2026, time.April, 20)},
		// Fri 13 Nov 2026 + 6 weeks = Christmas Day Fri 25 Dec -> Mon 28 Dec.
		{"lands on Christmas", d(2026, time.November, 13), 6, eod(2026, time.December, 28)},
		// Sat 5 Apr 2025 + 3 weeks = Sat 26 Apr (King's Day) -> Mon 28 Apr.
		{"lands on King's Day 2025", d(2025, time.April, 5), 3, eod(2025, time.April, 28)},
		// Thu 23 Apr 2026 + 3 weeks = Ascension Thu 14 May -> Fri 15 May.
		{"lands on Ascension", d(2026, time.April, 23), 3, eod(2026, time.May, 15)},
		// Sat 19 Dec 2026 + 2 weeks = Sat 2 Jan 2027 -> Mon 4 Jan.
		{"over the year end", d(2026, time.December, 19), 2, eod(2027, time.January, 4)},
		// Summer time starts 29 Mar 2026: the date, not 21*24h, counts.
		{"DST", time.Date(2026, time.March, 20, 0, 30, 0, 0, Amsterdam), 3, eod(2026, time.April, 10)},
	}
	for _, c := range cases {
		if got := DueAfterWeeks(c.from, c.weeks); !got.Equal(c.want) {
			t.Errorf("%s: DueAfterWeeks(%v, %d) = %v, want %v", c.name, c.from, c.weeks, got, c.want)
		}
	}
}
