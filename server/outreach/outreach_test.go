package outreach_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

type fakeAuth map[string]outreach.User

func (f fakeAuth) Authenticate(_ context.Context, email, password, code, _ string) (outreach.User, error) {
	u, ok := f[email+"/"+password+"/"+code]
	if !ok {
		return outreach.User{}, outreach.ErrSignIn
	}
	return u, nil
}

type env struct {
	st      *store.Store
	devices *outreach.Devices
	rounds  *outreach.Rounds
	sync    *outreach.Syncer
	cases   *cases.Service
	cards   *countCards
}

// countCards counts as the cards package does: once per key.
type countCards struct {
	mu   sync.Mutex
	n    map[string]int
	keys map[string]bool
}

func (c *countCards) AddHandedOut(_ context.Context, batch string, n int, _ time.Time, key string) error {
	if batch == "NOPE" {
		return fault.InvalidField("batch", "app.error.batch")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.keys[key] {
		c.keys[key] = true
		c.n[batch] += n
	}
	return nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.EnsureIndexes(ctx, append(outreach.Indexes(), cases.Indexes()...)...); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	cat := i18n.Default()
	cs := cases.NewService(cases.Config{Store: st, Sealer: sl, Texts: cat})
	auth := fakeAuth{
		"o@x/pw/123456": {ID: "u-outreach", Role: "outreach"},
		"h@x/pw/123456": {ID: "u-handler", Role: "handler"},
	}
	cc := &countCards{n: map[string]int{}, keys: map[string]bool{}}
	rounds := outreach.NewRounds(st, sl, cc)
	return &env{st: st, devices: outreach.NewDevices(outreach.DevicesConfig{Store: st, Auth: auth}), rounds: rounds,
		sync: outreach.NewSyncer(outreach.CaseIntake{Cases: cs}, rounds, cat, sl.Desk()), cases: cs, cards: cc}
}

func report(i int) map[string]any {
	receipt, err := cases.NewReceipt()
	if err != nil {
		panic(err)
	}
	return map[string]any{
		"id": uuid.NewString(), "kind": "complaint", "category": "police",
		"description": fmt.Sprintf("report number %d", i), "wish": "heard",
		"identity": map[string]any{"mode": "anonymous"}, "language": "en",
		"reporter": "outreach", "receipt": receipt,
	}
}

// device enrols a tablet for u1.
func (e *env) device(t *testing.T) outreach.Device {
	t.Helper()
	dev, _, err := e.devices.Create(context.Background(), "u1", "t")
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// reports is n reports, numbered from 0.
func reports(n int) []map[string]any {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = report(i)
	}
	return items
}

func raws(t *testing.T, items []map[string]any) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func TestDeviceLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, _, err := e.devices.RegisterAfter(ctx, "o@x", "wrong", "123456", "x", "", ""); !errors.Is(err, outreach.ErrSignIn) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := e.devices.RegisterAfter(ctx, "h@x", "pw", "123456", "x", "", ""); !errors.Is(err, outreach.ErrForbidden) {
		t.Fatalf("handler may not register: %v", err)
	}
	dev, token, err := e.devices.RegisterAfter(ctx, "o@x", "pw", "123456", "  Tablet   Noord ", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if dev.Label != "Tablet Noord" || dev.UserID != "u-outreach" {
		t.Fatalf("device %+v", dev)
	}
	var raw map[string]any
	if err := e.st.C("outreach_devices").FindOne(ctx, map[string]any{"_id": dev.ID}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for k, v := range raw {
		if s, ok := v.(string); ok && s == token {
			t.Fatalf("token stored in clear under %s", k)
		}
	}
	got, err := e.devices.Authenticate(ctx, token)
	if err != nil || got.ID != dev.ID {
		t.Fatalf("authenticate: %v %+v", err, got)
	}
	if _, err := e.devices.Authenticate(ctx, token+"x"); !errors.Is(err, outreach.ErrUnauthorized) {
		t.Fatalf("bad token: %v", err)
	}
	if err := e.devices.Revoke(ctx, dev.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := e.devices.Revoke(ctx, dev.ID, "admin"); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := e.devices.Authenticate(ctx, token); !errors.Is(err, outreach.ErrUnauthorized) {
		t.Fatalf("revoked token works: %v", err)
	}
	if err := e.devices.Revoke(ctx, uuid.NewString(), "admin"); !errors.Is(err, outreach.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	list, err := e.devices.List(ctx)
	if err != nil || len(list) != 1 || !list[0].Revoked {
		t.Fatalf("list: %v %+v", err, list)
	}
}

func TestSyncOneBadOfHundred(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev := e.device(t)
	items := reports(100)
	items[37]["category"] = "no.such.category"
	items[37]["language"] = "nl"
	req := outreach.SyncRequest{Reports: raws(t, items)}
	resp, err := e.sync.Sync(ctx, dev, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 100 {
		t.Fatalf("%d results", len(resp.Results))
	}
	created := 0
	for i, r := range resp.Results {
		if r.ID != items[i]["id"] {
			t.Fatalf("result %d out of order", i)
		}
		if r.Result == outreach.Created && r.Reference != "" {
			created++
		}
	}
	bad := resp.Results[37]
	if created != 99 || bad.Result != outreach.Rejected || len(bad.Errors) != 1 || bad.Errors[0].Field != "category" {
		t.Fatalf("created %d, bad %+v", created, bad)
	}
	if bad.Errors[0].Detail != "Kies een van de onderwerpen." {
		t.Fatalf("error not in the item's language: %q", bad.Errors[0].Detail)
	}
	// The same batch again: everything the server has is a duplicate with
	// the same reference; the bad one is still rejected.
	again, err := e.sync.Sync(ctx, dev, req)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again.Results {
		if i == 37 {
			if r.Result != outreach.Rejected {
				t.Fatalf("bad item now %s", r.Result)
			}
			continue
		}
		if r.Result != outreach.Duplicate || r.Reference != resp.Results[i].Reference {
			t.Fatalf("repeat %d: %+v", i, r)
		}
	}
	n, err := e.st.C("cases").CountDocuments(ctx, map[string]any{"channel": "outreach", "device": dev.ID})
	if err != nil || n != 99 {
		t.Fatalf("cases on server: %d %v", n, err)
	}
	// Same id, other content: rejected, never a second case.
	items[0]["description"] = "changed"
	conf, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: raws(t, items[:1])})
	if err != nil || conf.Results[0].Result != outreach.Rejected || conf.Results[0].Errors[0].Field != "id" {
		t.Fatalf("conflict: %v %+v", err, conf)
	}
}

func TestSyncMalformedAndTooMany(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, _ := e.devices.Create(ctx, "u1", "t")
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: []json.RawMessage{
		json.RawMessage(`"not an object"`), json.RawMessage(`{"id":"` + uuid.NewString() + `","kind":7}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.Result != outreach.Rejected || len(r.Errors) == 0 {
			t.Fatalf("%+v", r)
		}
	}
	big := make([]json.RawMessage, outreach.MaxBatch+1)
	if _, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Reports: big}); !errors.Is(err, outreach.ErrTooMany) {
		t.Fatalf("too many: %v", err)
	}
}

func TestSyncRoundsAndCards(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, _ := e.devices.Create(ctx, "u1", "t")
	round := outreach.Round{ID: uuid.NewString(), Date: time.Now().Format("2006-01-02"), Setting: "window", Municipality: "Utrecht", Place: "Zandpad", Language: "en"}
	card := outreach.CardCount{ID: uuid.NewString(), Round: round.ID, Batch: "a-7", Setting: "window", Municipality: "Utrecht", Date: round.Date, Count: 12, Language: "en"}
	bad := outreach.CardCount{ID: uuid.NewString(), Round: round.ID, Batch: "NOPE", Date: round.Date, Count: 3, Language: "en"}
	rep := report(1)
	rep["round"] = round.ID
	req := outreach.SyncRequest{Rounds: []outreach.Round{round}, Cards: []outreach.CardCount{card, bad}, Reports: raws(t, []map[string]any{rep})}
	for pass, want := range []string{outreach.Created, outreach.Duplicate} {
		resp, err := e.sync.Sync(ctx, dev, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Rounds[0].Result != want || resp.Cards[0].Result != want || resp.Results[0].Result != want {
			t.Fatalf("pass %d: %+v", pass, resp)
		}
		if resp.Cards[1].Result != outreach.Rejected || resp.Cards[1].Errors[0].Field != "batch" {
			t.Fatalf("bad batch: %+v", resp.Cards[1])
		}
	}
	if e.cards.n["A-7"] != 12 {
		t.Fatalf("counted %v", e.cards.n)
	}
	c, err := e.cases.Get(ctx, mustCaseID(t, e, rep["id"].(string)))
	if err != nil || c.Round != round.ID || c.Device != dev.ID || c.Channel != "outreach" {
		t.Fatalf("case %+v %v", c, err)
	}
	// Same card id with another count is a conflict, and counts nothing.
	card.Count = 99
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Cards: []outreach.CardCount{card}})
	if err != nil || resp.Cards[0].Result != outreach.Rejected || e.cards.n["A-7"] != 12 {
		t.Fatalf("conflict: %v %+v %v", err, resp, e.cards.n)
	}
	got, err := e.rounds.GetRound(ctx, round.ID)
	if err != nil || got.Place != "Zandpad" || got.Device != dev.ID {
		t.Fatalf("round %+v %v", got, err)
	}
	// The place is free text: sealed at rest, like every free text.
	var raw bson.Raw
	if err := e.st.C("outreach_rounds").FindOne(ctx, bson.M{"_id": round.ID}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Zandpad")) {
		t.Fatalf("round place stored in plain text: %v", raw)
	}
}

func mustCaseID(t *testing.T, e *env, clientID string) string {
	var doc struct {
		ID string `bson:"_id"`
	}
	if err := e.st.C("cases").FindOne(context.Background(), map[string]any{"client_id": clientID}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.ID
}
