package reports_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/reports"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/workdays"
)

// BenchmarkYearReport10000 reads a year of 10,000 cases (and 50,000
// timeline events) from the embedded database with the reports'
// projections and computes the year's report against the year before,
// suppression included: what a coordinator waits for.
func BenchmarkYearReport10000(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	regions := []string{"Amsterdam-Amstelland", "Rotterdam-Rijnmond", "Utrecht", "Haaglanden", "Twente", "Drenthe", "unknown", "online"}
	var docs, events []any
	for i := range 10000 {
		created := time.Date(2026, time.Month(1+i%12), 1+i%28, 9+i%8, 0, 0, 0, workdays.Amsterdam)
		cat := cases.Categories[i%len(cases.Categories)]
		id := fmt.Sprintf("case-%05d", i)
		doc := map[string]any{"_id": id, "created_at": created, "kind": cases.Kinds[i%len(cases.Kinds)], "category": cat.ID, "group": cat.Group,
			"region": regions[i%len(regions)], "setting": cases.Settings[i%len(cases.Settings)], "channel": string(cases.Channels[i%4]),
			"language": cases.PublicLanguages[i%len(cases.PublicLanguages)], "route": string(cases.Routes[i%len(cases.Routes)]),
			"themes": []string{fmt.Sprintf("t%d", i%20)}, "description": []byte("sealed, never read"), "heard": "",
			"steps": 1, "routed_at": created.Add(2 * 24 * time.Hour), "answered_at": created.Add(15 * 24 * time.Hour)}
		if i%3 == 0 {
			doc["outcome"], doc["closed_at"] = string(cases.Outcomes[i%len(cases.Outcomes)]), created.Add(20*24*time.Hour)
			doc["heard"], doc["heard_at"] = []string{"yes", "no"}[i%2], created.Add(21*24*time.Hour)
		}
		docs = append(docs, doc)
		add := func(n int, typ string, after time.Duration, data map[string]string, to string) {
			events = append(events, map[string]any{"_id": fmt.Sprintf("%s-%d", id, n), "case_id": id, "at": created.Add(after), "type": typ, "data": data, "to": to})
		}
		add(0, cases.EventMessage, time.Millisecond, map[string]string{"text": "std.ack"}, "")
		add(1, cases.EventState, 2*24*time.Hour, map[string]string{"route": "advice"}, string(cases.StateAdvice))
		add(2, cases.EventMessage, 15*24*time.Hour, map[string]string{"answer": "1"}, "")
		add(3, cases.EventReply, 5*24*time.Hour, nil, "")
		add(4, cases.EventHeard, 21*24*time.Hour, map[string]string{"answer": "yes"}, "")
	}
	for i := 0; i < len(docs); i += 1000 {
		if err := st.InsertAll(ctx, "cases", docs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < len(events); i += 1000 {
		if err := st.InsertAll(ctx, "case_events", events[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	src := reports.Source{St: st}
	p := reports.Year(2026)
	now := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	// read: the projected reads of the cases, which keep their step times
	// (what a report reads).
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			d, err := src.LoadReport(ctx, p.Previous().From, p.To)
			if err != nil {
				b.Fatal(err)
			}
			if len(d.Cases) != 10000 {
				b.Fatalf("read %d cases", len(d.Cases))
			}
		}
	})
	// read_timelines: the same with every timeline read as well (what the
	// dashboard reads; a report too while old cases lack their steps).
	b.Run("read_timelines", func(b *testing.B) {
		for b.Loop() {
			d, err := src.Load(ctx, p.Previous().From, p.To)
			if err != nil {
				b.Fatal(err)
			}
			if len(d.Cases) != 10000 {
				b.Fatalf("read %d cases", len(d.Cases))
			}
		}
	})
	// compute: counting and suppression, in memory.
	d, err := src.LoadReport(ctx, p.Previous().From, p.To)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("compute", func(b *testing.B) {
		for b.Loop() {
			for i := range d.Cases {
				d.Cases[i] = fresh(d.Cases[i]) // no deadlines kept from the last round
			}
			if r := reports.Build(d, p, reports.DefaultThreshold, now); len(r.Tables()) == 0 {
				b.Fatal("no tables")
			}
		}
	})
}

// fresh copies a record's fields without what Build caches on it.
func fresh(r reports.Record) reports.Record {
	return reports.Record{ID: r.ID, Created: r.Created, Kind: r.Kind, Category: r.Category, Group: r.Group, Region: r.Region,
		Setting: r.Setting, Channel: r.Channel, Language: r.Language, Route: r.Route, Outcome: r.Outcome, Closed: r.Closed,
		Themes: r.Themes, Heard: r.Heard, HeardReason: r.HeardReason, HeardAt: r.HeardAt, Ack: r.Ack, Routed: r.Routed,
		Answered: r.Answered, Extended: r.Extended, Replies: r.Replies}
}
