package cases

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Values of InboxFilter.Assigned and InboxFilter.Due.
const (
	AssignedMe         = "me"
	AssignedUnassigned = "unassigned"
	DueSoon            = "soon"
	DueOverdue         = "overdue"
	// DueSoonWithin is how close a deadline counts as "due soon".
	DueSoonWithin = 5 * 24 * time.Hour
)

// InboxFilter selects cases for the inbox. Empty fields match everything;
// without a State the inbox shows open cases only.
type InboxFilter struct {
	State    string
	Kind     string
	Category string
	Assigned string // "me", "unassigned" or a user id
	Due      string // "soon" or "overdue"
	Theme    string
	Language string
	Channel  string
	// Viewer is the user asking; with OnlyOwn (handlers) the inbox holds
	// only cases assigned to Viewer and unassigned ones.
	Viewer  string
	OnlyOwn bool
	// Query finds a case by (part of) its reference, e.g. "2026-0042".
	Query string
	// Sort is SortDeadline (default), SortReceived or SortActivity.
	Sort string
	// Page counts from 1; PerPage defaults to InboxPerPage.
	Page, PerPage int
}

// Orders of the inbox.
const (
	// SortDeadline: her messages first, then priority, then the nearest
	// running deadline, then the newest.
	SortDeadline = "deadline"
	// SortReceived: the newest case first.
	SortReceived = "received"
	// SortActivity: the latest activity (her message, a change) first.
	SortActivity = "activity"
	// InboxPerPage is how many rows a page of the inbox shows.
	InboxPerPage = 50
)

// Sorts lists the orders in display order.
var Sorts = []string{SortDeadline, SortReceived, SortActivity}

// InboxItem is one row of the inbox.
type InboxItem struct {
	Case     *Case
	Deadline string // "ack", "route", "answer" or ""
	Due      time.Time
	Overdue  bool
	Soon     bool
	// Waiting: she replied or asked to reopen; such cases come first.
	Waiting bool
}

// Facets of the inbox counts.
var Facets = []string{"state", "kind", "category", "assigned", "due", "theme", "language", "channel"}

// Inbox is the inbox: items sorted by what needs the desk first, and per
// facet the number of cases each value would show given the other filters.
type Inbox struct {
	Items  []InboxItem
	Counts map[string]map[string]int
	// Total is how many cases match; Items holds page Page of Pages.
	Total       int
	Page, Pages int
}

// Inbox lists cases for the inbox, from the index (see index.go): one page
// of them, and per facet the number of cases each value would show given
// the other filters. Closed cases are shown only when asked for, or when
// she wrote on one (it must not be missed).
//
// The default order (SortDeadline): cases where she is waiting
// (reply_received, reopen_requested, a new message) on top, her latest
// message first; then priority, so an urgent case is never buried under an
// earlier deadline; then the nearest running deadline; then the newest.
func (s *Service) Inbox(ctx context.Context, f InboxFilter) (Inbox, error) {
	now := s.now()
	out := Inbox{Counts: map[string]map[string]int{}}
	for _, fc := range Facets {
		out.Counts[fc] = map[string]int{}
	}
	q := strings.ToUpper(strings.TrimSpace(f.Query))
	want := [len(facetOrder)]string{f.State, f.Kind, f.Category, f.Assigned, f.Due, f.Theme, f.Language, f.Channel}
	err := s.indexed(ctx, func(ix *caseIndex) {
		for _, row := range ix.rows {
			if f.OnlyOwn && row.AssignedTo != f.Viewer && row.AssignedTo != "" {
				continue
			}
			if q != "" && !strings.Contains(strings.ToUpper(row.Reference), q) && row.ID != f.Query {
				continue
			}
			c := row // read only while the lock is held
			it := InboxItem{Case: c, Waiting: c.State == StateReplyReceived || c.State == StateReopenRequested || c.NewReply}
			it.Deadline, it.Due, it.Overdue = c.Deadlines.Next(now, c.State)
			it.Soon = it.Deadline != "" && !it.Overdue && it.Due.Sub(now) <= DueSoonWithin
			var vals [len(facetOrder)][]string
			facetValues(c, &it, f.Viewer, &vals)
			// Per facet, whether the case passes that facet's filter; a
			// facet's counts take the cases that pass every other one.
			fails, failed := 0, -1
			for i := range facetOrder {
				if !passes(want[i], vals[i], i == 0, c.NewReply) {
					fails++
					failed = i
				}
			}
			if fails > 1 {
				continue
			}
			for i, fc := range facetOrder {
				if fails == 0 || failed == i {
					for _, v := range vals[i] {
						out.Counts[fc][v]++
					}
				}
			}
			if fails == 0 {
				cp := *c // a copy: the index changes once the lock is let go
				it.Case = &cp
				out.Items = append(out.Items, it)
			}
		}
	})
	if err != nil {
		return Inbox{}, fmt.Errorf("cases: inbox: %w", err)
	}
	less := inboxLess
	switch f.Sort {
	case SortReceived:
		less = func(a, b InboxItem) bool { return newer(a.Case.CreatedAt, b.Case.CreatedAt, a, b) }
	case SortActivity:
		less = func(a, b InboxItem) bool { return newer(a.Case.LastActivity, b.Case.LastActivity, a, b) }
	}
	sort.Slice(out.Items, func(i, j int) bool { return less(out.Items[i], out.Items[j]) })
	out.Total = len(out.Items)
	per := f.PerPage
	if per <= 0 {
		per = InboxPerPage
	}
	out.Pages = max(1, (out.Total+per-1)/per)
	out.Page = min(max(f.Page, 1), out.Pages)
	from := (out.Page - 1) * per
	out.Items = out.Items[from:min(from+per, out.Total)]
	return out, nil
}

// newer orders by a time, newest first, and by reference when equal (a
// total order: pages never repeat or skip a case).
func newer(x, y time.Time, a, b InboxItem) bool {
	if !x.Equal(y) {
		return x.After(y)
	}
	return a.Case.Reference > b.Case.Reference
}

func inboxLess(a, b InboxItem) bool {
	if a.Waiting != b.Waiting {
		return a.Waiting
	}
	if a.Waiting && !a.Case.LastActivity.Equal(b.Case.LastActivity) {
		return a.Case.LastActivity.After(b.Case.LastActivity)
	}
	if a.Case.Priority != b.Case.Priority {
		return a.Case.Priority > b.Case.Priority
	}
	if (a.Deadline != "") != (b.Deadline != "") {
		return a.Deadline != ""
	}
	if a.Deadline != "" && !a.Due.Equal(b.Due) {
		return a.Due.Before(b.Due)
	}
	return newer(a.Case.CreatedAt, b.Case.CreatedAt, a, b)
}

// facetOrder is Facets as an array, state first (see passes).
var facetOrder = [...]string{"state", "kind", "category", "assigned", "due", "theme", "language", "channel"}

// facetValues lists, per facet (in facetOrder), the values a case has (a
// case can be in several themes; "assigned" is "me" and/or a user id, or
// "unassigned", for the viewer).
func facetValues(c *Case, it *InboxItem, viewer string, v *[len(facetOrder)][]string) {
	*v = [len(facetOrder)][]string{{string(c.State)}, {c.Kind}, {c.Category}, nil, nil, c.Themes, {c.Language}, {c.Channel}}
	switch {
	case c.AssignedTo == "":
		v[3] = []string{AssignedUnassigned}
	case c.AssignedTo == viewer:
		v[3] = []string{AssignedMe, c.AssignedTo}
	default:
		v[3] = []string{c.AssignedTo}
	}
	switch {
	case it.Overdue:
		v[4] = []string{DueOverdue}
	case it.Soon:
		v[4] = []string{DueSoon}
	}
}

// passes says whether a case with values vals passes a facet's filter
// want. Without a state filter closed cases are left out, unless she
// wrote on one.
func passes(want string, vals []string, isState, newReply bool) bool {
	if want == "" {
		return !isState || newReply || !slices.Contains(vals, string(StateClosed))
	}
	return slices.Contains(vals, want)
}
