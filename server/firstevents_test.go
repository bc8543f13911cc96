package server_test

import (
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/push/pushtest"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// TestCaseWithoutFirstEventsIsCompletedAtStart: a crash right after a
// case was inserted left it without its "created" event and its
// acknowledgement (so no answer to her and no push to staff) until the
// same id was resent. A simulated crash — the case written through the
// store without anything after it — is completed when a server starts:
// both events and the staff's push job appear.
func TestCaseWithoutFirstEventsIsCompletedAtStart(t *testing.T) {
	opts := servertest.Options{DBName: storetest.DBName(), SecretKey: servertest.NewKey(), PushToLoopback: true}
	a := servertest.StartWith(t, opts)
	ctx := t.Context()
	coord := stafftest.NewUser(t, a, "coordinator")
	var in push.Input
	if err := json.Unmarshal(pushtest.NewSubscriber(t).JSON(), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deps.Push.Subscribe(ctx, coord.ID, in); err != nil {
		t.Fatal(err)
	}
	// A whole case to copy from.
	var made struct{ Reference string }
	if err := json.Unmarshal(mustSend(t, a, "/api/v1/reports", "application/json", jsonBody(t, report), "").body, &made); err != nil {
		t.Fatal(err)
	}
	var doc bson.M
	if err := a.Deps.Store.C("cases").FindOne(ctx, bson.M{"reference": made.Reference}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// The crash: a case is in the database, nothing of what follows it.
	id := uuid.NewString()
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	doc["_id"], doc["client_id"], doc["reference"], doc["receipt_hash"] = id, id, made.Reference+"-x", hash
	doc["created_at"] = time.Now().UTC().Add(-10 * time.Minute)
	delete(doc, "_rev")
	if err := a.Deps.Store.Insert(ctx, "cases", doc); err != nil {
		t.Fatal(err)
	}
	count := func(coll string, filter bson.M) int64 {
		n, err := a.Deps.Store.C(coll).CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("case_events", bson.M{"case_id": id}); n != 0 {
		t.Fatalf("the simulated crash left %d events", n)
	}

	// A server starts on the same data.
	servertest.StartWith(t, opts)
	for _, ev := range []string{id + ":created", id + ":ack"} {
		if count("case_events", bson.M{"_id": ev}) != 1 {
			t.Errorf("after start-up there is no event %s", ev)
		}
	}
	if n := count("push_jobs", bson.M{"case_id": id, "type": push.TypeCaseNew}); n != 1 {
		t.Errorf("after start-up %d push jobs tell staff of the case, want 1", n)
	}
}
