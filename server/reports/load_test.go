package reports_test

import (
	"crypto/rand"
	"reflect"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/reports"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/workdays"
)

// TestReportFromCasesEqualsReportFromTimelines: the step times the cases
// keep give the same report as reading every timeline.
func TestReportFromCasesEqualsReportFromTimelines(t *testing.T) {
	ctx := t.Context()
	st := storetest.New(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.NewService(cases.Config{Store: st, Sealer: sl, Texts: i18n.Default()})
	if err := svc.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		r, err := svc.Create(ctx, cases.Input{Kind: []string{"complaint", "help"}[i%2], Category: "business.bank", Description: "x",
			Municipality: "Utrecht", Wish: "handle", Language: "nl", Identity: cases.Identity{Mode: "anonymous"}}, cases.ChannelWeb)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			continue
		}
		for _, to := range []cases.State{cases.StateTriage, cases.StateAdvice} {
			if _, err := svc.Transition(ctx, r.ID, "u", to, ""); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 1 {
			continue
		}
		if _, err := svc.SendMessage(ctx, r.ID, "u", cases.Outgoing{Line: "Ons antwoord", Answer: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Transition(ctx, r.ID, "u", cases.StateFeedback, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Close(ctx, r.ID, "u", cases.OutcomeResolved); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordHeardCase(ctx, r.ID, i%2 == 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().In(workdays.Amsterdam)
	p := reports.Month(now.Year(), now.Month())
	src := reports.Source{St: st, Cases: svc}
	full, err := src.Load(ctx, p.Previous().From, p.To)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := src.LoadReport(ctx, p.Previous().From, p.To)
	if err != nil {
		t.Fatal(err)
	}
	later := now.AddDate(0, 3, 0) // every deadline passed
	a, b := reports.Build(full, p, 5, later).Tables(), reports.Build(kept, p, 5, later).Tables()
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Errorf("table %s from timelines %+v\nfrom the cases %+v", a[i].ID, a[i].Rows, b[i].Rows)
			}
		}
	}
}
