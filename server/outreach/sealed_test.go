package outreach_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/seal"
)

func sealItem(t *testing.T, desk *seal.Desk, device, kind, id string, body any) outreach.SealedItem {
	t.Helper()
	plain, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	kid, pub := desk.PublicKey()
	epk, iv, ct, err := seal.SealToDesk(kid, pub, outreach.SealedAAD(kid, device, kind, id), plain)
	if err != nil {
		t.Fatal(err)
	}
	b := base64.RawURLEncoding.EncodeToString
	return outreach.SealedItem{V: 1, Kid: kid, Kind: kind, ID: id, EPK: b(epk), IV: b(iv), CT: b(ct)}
}

// A report sealed on tablet A opens on arrival and becomes A's case, with
// the time she told it as its received time (deadlines from then) and the
// card batch the worker chose; the same sealed item sent by tablet B is
// refused (it is bound to A) and makes no case; A's repeat is a duplicate.
func TestSyncSealedBoundToDevice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sl, err := seal.New(make([]byte, 32)) // newEnv's key: the same desk
	if err != nil {
		t.Fatal(err)
	}
	devA, tokA, err := e.devices.RegisterAfter(ctx, "o@x", "pw", "123456", "A", "", "")
	if err != nil {
		t.Fatal(err)
	}
	devB, _, err := e.devices.RegisterAfter(ctx, "o@x", "pw", "123456", "B", "", "")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(1)
	told := time.Now().UTC().Add(-26 * time.Hour).Truncate(time.Second)
	rep["recorded_at"] = told.Format(time.RFC3339)
	rep["batch"] = "ronde-7"
	id := rep["id"].(string)
	item := sealItem(t, sl.Desk(), devA.ID, "report", id, rep)

	resp, err := e.sync.Sync(ctx, devB, outreach.SyncRequest{Sealed: []outreach.SealedItem{item}, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Sealed[0]; r.Result != outreach.Rejected || len(r.Errors) != 1 || r.Errors[0].Field != "sealed" ||
		r.Errors[0].Staff == "" || r.Errors[0].Staff == "app.error.sealed" {
		t.Fatalf("another device's sealed item: %+v", r)
	}
	if n, _ := e.st.C("cases").CountDocuments(ctx, bson.M{"client_id": id}); n != 0 {
		t.Fatalf("a case was made from another device's sealed item: %d", n)
	}

	for i, want := range []string{outreach.Created, outreach.Duplicate} {
		resp, err = e.sync.Sync(ctx, devA, outreach.SyncRequest{Sealed: []outreach.SealedItem{item}})
		if err != nil {
			t.Fatal(err)
		}
		if r := resp.Sealed[0]; r.Result != want || r.ID != id || r.Reference == "" {
			t.Fatalf("send %d: %+v, want %s", i, r, want)
		}
	}
	var c cases.Case
	if err := e.st.C("cases").FindOne(ctx, bson.M{"client_id": id}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Device != devA.ID || c.Channel != string(cases.ChannelOutreach) || c.Batch != "RONDE-7" {
		t.Fatalf("case device %q channel %q batch %q", c.Device, c.Channel, c.Batch)
	}
	if !c.CreatedAt.Equal(told) {
		t.Fatalf("received at %v, she told it at %v", c.CreatedAt, told)
	}
	if want := cases.ComputeDeadlines(told); !c.Deadlines.Ack.Equal(want.Ack) {
		t.Fatalf("deadlines %+v, want from %v: %+v", c.Deadlines, told, want)
	}

	// Tablet A signs in again (after a revocation, say) and proves it with
	// its old token: what it sealed as A still opens from its new device.
	devA2, _, err := e.devices.RegisterAfter(ctx, "o@x", "pw", "123456", "A again", "", tokA)
	if err != nil {
		t.Fatal(err)
	}
	rep2 := report(2)
	item2 := sealItem(t, sl.Desk(), devA.ID, "report", rep2["id"].(string), rep2)
	resp, err = e.sync.Sync(ctx, devA2, outreach.SyncRequest{Sealed: []outreach.SealedItem{item2}})
	if err != nil || resp.Sealed[0].Result != outreach.Created {
		t.Fatalf("A's item from A's new registration: %+v %v", resp.Sealed, err)
	}
	resp, _ = e.sync.Sync(ctx, devB, outreach.SyncRequest{Sealed: []outreach.SealedItem{item2}})
	if resp.Sealed[0].Result != outreach.Rejected {
		t.Fatalf("A's item from B: %+v", resp.Sealed[0])
	}

	// Tampering with the kind or the id: not opened.
	moved := item
	moved.Kind = "cards"
	resp, _ = e.sync.Sync(ctx, devA, outreach.SyncRequest{Sealed: []outreach.SealedItem{moved}})
	if resp.Sealed[0].Result != outreach.Rejected {
		t.Fatalf("relabelled item: %+v", resp.Sealed[0])
	}
}

// A recorded-at time is taken when plausible; a clock far ahead or weeks
// behind gives the arrival time instead, never a refusal.
func TestRecordedAtPlausible(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-01T10:00:00Z":      time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		"2026-12-01T13:00:00+02:00": time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC),
		"2026-12-01T12:03:00Z":      now, // a little fast
		"2026-12-01T13:00:00Z":      {},  // an hour ahead
		"2026-11-01T10:00:00Z":      {},  // a month old
		"yesterday":                 {},
		"":                          {},
	} {
		if got := outreach.RecordedAt(in, now); !got.Equal(want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
