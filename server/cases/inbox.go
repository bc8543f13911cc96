package cases

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
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
}

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
	Total  int
}

// Inbox lists cases for the inbox. The desk takes up to ~1,000 cases a
// year, so the cases in scope are read once and filtered and counted here.
//
// Order: cases where she is waiting (reply_received, reopen_requested) on
// top, her latest message first; then by the nearest running deadline;
// then priority; then the newest.
func (s *Service) Inbox(ctx context.Context, f InboxFilter) (Inbox, error) {
	q := bson.M{}
	if f.OnlyOwn {
		q["assigned_to"] = bson.M{"$in": bson.A{f.Viewer, ""}}
	}
	cur, err := s.st.C(collectionCases).Find(ctx, q)
	if err != nil {
		return Inbox{}, fmt.Errorf("cases: inbox: %w", err)
	}
	var all []Case
	if err := cur.All(ctx, &all); err != nil {
		return Inbox{}, fmt.Errorf("cases: inbox: %w", err)
	}
	now := s.now()
	out := Inbox{Counts: map[string]map[string]int{}}
	for _, fc := range Facets {
		out.Counts[fc] = map[string]int{}
	}
	for i := range all {
		c := &all[i]
		it := InboxItem{Case: c, Waiting: c.State == StateReplyReceived || c.State == StateReopenRequested}
		it.Deadline, it.Due, it.Overdue = c.Deadlines.Next(now, c.State)
		it.Soon = it.Deadline != "" && !it.Overdue && it.Due.Sub(now) <= DueSoonWithin
		vals := facetValues(c, &it, f.Viewer)
		for _, fc := range Facets {
			if matchesExcept(f, vals, fc) {
				for _, v := range vals[fc] {
					out.Counts[fc][v]++
				}
			}
		}
		if matchesExcept(f, vals, "") {
			out.Items = append(out.Items, it)
		}
	}
	sort.SliceStable(out.Items, func(i, j int) bool { return inboxLess(out.Items[i], out.Items[j]) })
	out.Total = len(out.Items)
	return out, nil
}

func inboxLess(a, b InboxItem) bool {
	if a.Waiting != b.Waiting {
		return a.Waiting
	}
	if a.Waiting {
		return a.Case.LastActivity.After(b.Case.LastActivity)
	}
	if (a.Deadline != "") != (b.Deadline != "") {
		return a.Deadline != ""
	}
	if a.Deadline != "" && !a.Due.Equal(b.Due) {
		return a.Due.Before(b.Due)
	}
	if a.Case.Priority != b.Case.Priority {
		return a.Case.Priority > b.Case.Priority
	}
	return a.Case.CreatedAt.After(b.Case.CreatedAt)
}

// facetValues lists, per facet, the values a case has (a case can be in
// several themes; "assigned" is "me" and/or "unassigned" for the viewer).
func facetValues(c *Case, it *InboxItem, viewer string) map[string][]string {
	v := map[string][]string{
		"state": {string(c.State)}, "kind": {c.Kind}, "category": {c.Category},
		"theme": c.Themes, "language": {c.Language}, "channel": {c.Channel},
	}
	switch {
	case c.AssignedTo == "":
		v["assigned"] = []string{AssignedUnassigned}
	case c.AssignedTo == viewer:
		v["assigned"] = []string{AssignedMe, c.AssignedTo}
	default:
		v["assigned"] = []string{c.AssignedTo}
	}
	switch {
	case it.Overdue:
		v["due"] = []string{DueOverdue}
	case it.Soon:
		v["due"] = []string{DueSoon}
	}
	return v
}

// matchesExcept says whether a case passes every filter but skip's.
func matchesExcept(f InboxFilter, v map[string][]string, skip string) bool {
	want := map[string]string{
		"state": f.State, "kind": f.Kind, "category": f.Category, "assigned": f.Assigned,
		"due": f.Due, "theme": f.Theme, "language": f.Language, "channel": f.Channel,
	}
	for fc, w := range want {
		if fc == skip {
			continue
		}
		if w == "" {
			if fc == "state" && slices.Contains(v["state"], string(StateClosed)) {
				return false // closed cases only when asked for
			}
			continue
		}
		if !slices.Contains(v[fc], w) {
			return false
		}
	}
	return true
}
