// Package workdays does Dutch working-day arithmetic for case deadlines: weekends
// and the general public holidays (algemeen erkende feestdagen, as listed in the
// Algemene termijnenwet) are not working days. All dates are taken on the
// Europe/Amsterdam calendar.
package workdays

import (
	"time"
	_ "time/tzdata" // the Amsterdam zone works on machines without a zoneinfo database
)

// Amsterdam is the Europe/Amsterdam location all calendar dates are taken in.
var Amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("workdays: " + err.Error())
	}
	return loc
}

// Holiday is a public holiday: Date is midnight Amsterdam time of that day.
type Holiday struct {
	Date time.Time
	Name string
}

// date returns midnight Amsterdam time of the given calendar day; it
// normalises out-of-range days (e.g. Easter+50).
func date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, Amsterdam)
}

// Easter returns Easter Sunday of the given year (Gregorian calendar),
// computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func Easter(year int) time.Time {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(year, time.Month(month), day)
}

// Holidays returns the Dutch general public holidays of year, in date order.
//
// Left out on purpose:
//   - Good Friday: not a general day off in the Netherlands (it is not in the
//     Algemene termijnenwet, and most employers and government offices work).
//   - Liberation Day outside lustrum years: 5 May is in the Algemene
//     termijnenwet, but the government and most collective agreements give it
//     as a day off only once every five years (2025, 2030, ...), so a desk's
//     deadlines only skip it in those years.
//
// King's Day is 27 April; since 2014 (King Willem-Alexander) it moves to
// Saturday 26 April when 27 April is a Sunday, and stays on the Saturday when
// 27 April is a Saturday (a weekend day either way).
func Holidays(year int) []Holiday {
	easter := Easter(year)
	kings := date(year, time.April, 27)
	if kings.Weekday() == time.Sunday {
		kings = date(year, time.April, 26)
	}
	hs := []Holiday{
		{date(year, time.January, 1), "New Year's Day"},
		{easter, "Easter Sunday"},
		{easter.AddDate(0, 0, 1), "Easter Monday"},
		{kings, "King's Day"},
	}
	if year%5 == 0 {
		hs = append(hs, Holiday{date(year, time.May, 5), "Liberation Day"})
	}
	hs = append(hs,
		Holiday{easter.AddDate(0, 0, 39), "Ascension Day"},
		Holiday{easter.AddDate(0, 0, 49), "Whit Sunday"},
		Holiday{easter.AddDate(0, 0, 50), "Whit Monday"},
		Holiday{date(year, time.December, 25), "Christmas Day"},
		Holiday{date(year, time.December, 26), "Boxing Day"},
	)
	// Ascension (Easter+39) can come before Liberation Day or after it, and
	// King's Day before or after Easter Monday: keep the list in date order.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Date.Before(hs[j-1].Date); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
	return hs
}

// HolidayName returns the name of the public holiday on t's Amsterdam date,
// or "" if it is not one.
func HolidayName(t time.Time) string {
	y, m, d := t.In(Amsterdam).Date()
	for _, h := range Holidays(y) {
		hy, hm, hd := h.Date.Date()
		if hy == y && hm == m && hd == d {
			return h.Name
		}
	}
	return ""
}

// IsWorkingDay reports whether t's Amsterdam calendar date is a weekday that
// is not a public holiday.
func IsWorkingDay(t time.Time) bool {
	t = t.In(Amsterdam)
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return HolidayName(t) == ""
}

// endOfDay returns 23:59:59 Amsterdam time on t's Amsterdam date.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.In(Amsterdam).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, Amsterdam)
}

// AddWorkingDays returns the end (23:59:59 Amsterdam time) of the n-th working
// day after t's Amsterdam date. With n <= 0 it returns the end of t's own date.
func AddWorkingDays(t time.Time, n int) time.Time {
	y, m, d := t.In(Amsterdam).Date()
	day := date(y, m, d)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if IsWorkingDay(day) {
			n--
		}
	}
	return endOfDay(day)
}

// DueAfterWeeks returns the end (23:59:59 Amsterdam time) of the calendar date
// weeks*7 days after t's Amsterdam date, moved to the next working day when
// that date is a weekend day or public holiday (Algemene termijnenwet, art. 1).
func DueAfterWeeks(t time.Time, weeks int) time.Time {
	y, m, d := t.In(Amsterdam).Date()
	day := date(y, m, d+7*weeks)
	for !IsWorkingDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	return endOfDay(day)
}
