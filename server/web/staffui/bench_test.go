package staffui_test

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/seal/hashbench"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// seedDesk writes n cases as a desk has them after some years (most
// closed, 4% open), each with its creation, acknowledgement, a message and
// a note, straight into the database (a case made through the service
// spends ~30 ms on its receipt's hash). It returns an open case's id.
func seedDesk(b *testing.B, env *servertest.Env, n int) string {
	b.Helper()
	svc := env.Deps.Cases
	start := time.Now().UTC().Add(-3 * 365 * 24 * time.Hour)
	desc := strings.Repeat("De bank sloot mijn rekening zonder reden, na jaren. ", 12)
	var docs, evs []any
	open := ""
	for i := range n {
		id := uuid.NewString()
		at := start.Add(time.Duration(i) * 3 * 365 * 24 * time.Hour / time.Duration(n))
		state := cases.StateClosed
		if i >= n-n/25 {
			state = []cases.State{cases.StateReceived, cases.StateTriage, cases.StateListening, cases.StateAdvice, cases.StateReplyReceived}[i%5]
			open = id
		}
		rh := make([]byte, 16)
		_, _ = rand.Read(rh)
		d := cases.ComputeDeadlines(at)
		d.AckSent = at
		c := &cases.Case{ID: id, ClientID: id, ReceiptHash: rh, Reference: fmt.Sprintf("GH-%d-%05d", at.Year(), i),
			CreatedAt: at, UpdatedAt: at, LastActivity: at,
			Kind: "complaint", Category: cases.Categories[i%len(cases.Categories)].ID, Group: "business", Municipality: "0363",
			Wish: "handle", IdentityMode: "named", Language: cases.PublicLanguages[i%len(cases.PublicLanguages)], Channel: string(cases.ChannelWeb),
			State: state, Deadlines: d, Themes: []string{}, Priority: i % 3 / 2,
			Description: svc.Seal(id, "description", desc), About: svc.Seal(id, "about", fmt.Sprintf("Bank %d", i%40)),
			Name: svc.Seal(id, "name", "Anna"), Contact: svc.Seal(id, "contact", "06-12345678"),
		}
		if state == cases.StateClosed {
			c.ClosedAt, c.Outcome = at.Add(30*24*time.Hour), cases.OutcomeResolved
		}
		docs = append(docs, c)
		for j, typ := range []string{cases.EventCreated, cases.EventMessage, cases.EventMessage, cases.EventNote} {
			eid := fmt.Sprintf("%s:%d", id, j)
			evs = append(evs, &cases.Event{ID: eid, CaseID: id, At: at.Add(time.Duration(j) * time.Hour), Type: typ, Actor: cases.ActorSystem,
				Body: svc.Seal(id, "event:"+eid, "Dank je voor je bericht. We nemen contact op.")})
		}
	}
	for _, batch := range []struct {
		coll string
		docs []any
	}{{"cases", docs}, {"case_events", evs}} {
		for len(batch.docs) > 0 {
			k := min(len(batch.docs), 1000)
			if err := env.Deps.Store.InsertAll(b.Context(), batch.coll, batch.docs[:k]); err != nil {
				b.Fatal(err)
			}
			batch.docs = batch.docs[k:]
		}
	}
	return open
}

// BenchmarkStaffPages10000: the inbox, a filtered inbox and a case page
// with 10,000 cases (40,000 events) in the database, through real HTTP on
// loopback as a coordinator (who sees every case). The server's copy in
// memory is loaded first, untimed (see cases/index.go).
func BenchmarkStaffPages10000(b *testing.B) {
	env := servertest.Start(b)
	open := seedDesk(b, env, 10000)
	co := stafftest.SignIn(b, env, "coordinator")
	// Reading everything once, as a server does at its first staff page
	// (not measured, and not bound by the client's timeout).
	if _, err := env.Deps.Cases.Inbox(b.Context(), cases.InboxFilter{}); err != nil {
		b.Fatal(err)
	}
	for _, p := range []struct{ name, path string }{
		{"Inbox", "/staff/"},
		{"InboxFiltered", "/staff/?state=closed&category=business.bank&sort=received&page=3"},
		{"InboxSearch", "/staff/?q=GH-2025"},
		{"CasePage", "/staff/cases/" + open},
	} {
		b.Run(p.name, func(b *testing.B) {
			if st, body := co.Page(p.path); st != 200 {
				b.Fatalf("%s: %d %.300s", p.path, st, body)
			}
			before := hashbench.CPU()
			for b.Loop() {
				res := co.Get(p.path)
				stafftest.ReadBody(res)
				if res.StatusCode != 200 {
					b.Fatalf("%s: %d", p.path, res.StatusCode)
				}
			}
			// The process's CPU time per request (server, embedded
			// database and client together): what a request costs when
			// the machine is busy with other work and wall time is not.
			b.ReportMetric(float64(hashbench.CPU()-before)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
