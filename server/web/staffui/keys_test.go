package staffui

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/staff"
)

// TestDynamicKeys checks that every key built at run time is listed in
// dynamicKeys (so the catalog test sees it) and exists in nl and en.
func TestDynamicKeys(t *testing.T) {
	var want []string
	for _, c := range cases.Channels {
		want = append(want, "staff.channel."+string(c))
	}
	for _, d := range []string{cases.DeadlineAck, cases.DeadlineRoute, cases.DeadlineAnswer} {
		want = append(want, "staff.deadline."+d)
	}
	for _, p := range cases.Priorities {
		want = append(want, "staff.priority."+strconv.Itoa(p))
	}
	for _, r := range cases.Reporters {
		want = append(want, "staff.reporter."+r)
	}
	for _, f := range flashes {
		want = append(want, "staff.flash."+f)
	}
	for _, s := range cases.StandardTexts {
		want = append(want, "staff.std."+s.Name)
	}
	want = append(want, "staff.inbox.assigned_"+cases.AssignedMe, "staff.inbox.assigned_"+cases.AssignedUnassigned,
		"staff.inbox.due_"+cases.DueSoon, "staff.inbox.due_"+cases.DueOverdue)
	cat := i18n.Default()
	for _, k := range want {
		if !slices.Contains(dynamicKeys, k) {
			t.Errorf("%s is built at run time but not in dynamicKeys", k)
		}
	}
	extra := []string{}
	for _, r := range staff.Roles {
		extra = append(extra, "staff.role."+r)
	}
	for _, e := range []string{cases.EventCreated, cases.EventMessage, cases.EventReply, cases.EventNote, cases.EventState,
		cases.EventAssigned, cases.EventPriority, cases.EventReferral, cases.EventTheme, cases.EventExtended, cases.EventHeard, cases.EventErased, cases.EventReceiptReplaced} {
		extra = append(extra, "staff.event."+e)
	}
	for _, o := range cases.Outcomes {
		extra = append(extra, "outcome."+string(o))
	}
	for _, k := range append(slices.Clone(dynamicKeys), extra...) {
		for _, l := range staff.Languages {
			if !cat.Has(l, k) {
				t.Errorf("%s misses %s", l, k)
			}
		}
	}
}
