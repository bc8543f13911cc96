package audit_test

import (
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func TestRecordAndFilter(t *testing.T) {
	st := storetest.New(t)
	l := audit.New(st)
	ctx := t.Context()
	if err := st.EnsureIndexes(ctx, audit.Indexes()...); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, e := range []audit.Entry{
		{UserID: "u1", Action: audit.CaseView, CaseID: "c1", At: base},
		{UserID: "u1", Action: audit.CaseChange, CaseID: "c1", Detail: "note", At: base.Add(time.Hour)},
		{UserID: "u2", Action: audit.SignInFailed, At: base.Add(48 * time.Hour)},
	} {
		if err := l.Record(ctx, e); err != nil {
			t.Fatal(i, err)
		}
	}
	all, _ := l.List(ctx, audit.Filter{})
	if len(all) != 3 || all[0].Action != audit.SignInFailed {
		t.Fatalf("newest first: %+v", all)
	}
	if got, _ := l.List(ctx, audit.Filter{CaseID: "c1", Action: audit.CaseChange}); len(got) != 1 || got[0].Detail != "note" {
		t.Errorf("case filter: %+v", got)
	}
	if got, _ := l.List(ctx, audit.Filter{From: base.Add(30 * time.Minute), To: base.Add(24 * time.Hour)}); len(got) != 1 {
		t.Errorf("time filter: %+v", got)
	}
	if got, _ := l.List(ctx, audit.Filter{UserID: "u2"}); len(got) != 1 {
		t.Errorf("user filter: %+v", got)
	}
}
