package server_test

import (
	"encoding/base64"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// A case stored before receipts had their own look-up documents (here:
// straight into the database while the server was down) gets one soon
// after the next start, and its receipt opens it before and after.
func TestEarlierCasesGetReceiptDocumentsAtStart(t *testing.T) {
	opts := servertest.Options{DBName: storetest.DBName(), SecretKey: servertest.NewKey()}
	first := servertest.StartWith(t, opts)
	receipt, err := cases.NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	h, err := first.Deps.Sealer.ReceiptHash(t.Context(), receipt)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	old := &cases.Case{ID: "earlier-case", ClientID: "earlier-case", Reference: "GH-2025-00001", ReceiptHash: h, ReceiptChecked: true,
		CreatedAt: now, UpdatedAt: now, LastActivity: now, Kind: "question", Language: "nl", State: cases.StateReceived, Themes: []string{}}
	if err := first.Deps.Store.Insert(t.Context(), "cases", old); err != nil {
		t.Fatal(err)
	}
	first.Stop()

	env := servertest.StartWith(t, opts)
	key := base64.RawURLEncoding.EncodeToString(h)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var doc struct {
			Case string `bson:"case"`
		}
		err := env.Deps.Store.C("case_receipts").FindOne(t.Context(), bson.M{"_id": key}).Decode(&doc)
		if err == nil {
			if doc.Case != old.ID {
				t.Fatalf("the receipt's document leads to %q, want %q", doc.Case, old.ID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt document 30 s after start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": receipt})
	var got struct{ Reference string }
	r.JSON(t, &got)
	if r.StatusCode != 200 || got.Reference != old.Reference {
		t.Fatalf("the earlier case's receipt: %d %s", r.StatusCode, r.Body)
	}
}
