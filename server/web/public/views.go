package public

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

// On a shared phone every page the browser keeps can give her away: Back,
// Forward and Reload show a page again, and a page that answered a POST is
// shown again by sending her form again. So every form of hers is answered
// with a redirect to a page that works once (a view), and the forms on
// those pages carry a token for her case, never the receipt.
//
// A view's token is the only thing in its address; what the page shows is
// sealed in the database under a keyed hash of the token, taken (deleted)
// when the page is shown, and gone after a few minutes anyway.

const collViews = "public_views"

// Lifetimes: a view is opened right after the redirect that names it; a
// form's token must outlast the time she takes to write.
const (
	ViewTTL   = 10 * time.Minute
	ActionTTL = time.Hour
)

// The kinds of view.
const (
	viewReceipt = "receipt" // the receipt page, right after filing
	viewForm    = "form"    // the intake form again, with errors and what she typed
	viewStatus  = "status"  // her thread
	viewLookup  = "lookup"  // the status form again, keeping an unsent reply
	tokenSaved  = "saved"   // the receipt page's "I have saved it" form
	tokenCase   = "case"    // the thread page's reply and "heard" forms
)

// View is what one page shown once, or one form token, holds.
type View struct {
	Kind      string            `json:"k"`
	Receipt   string            `json:"r,omitempty"`
	Reference string            `json:"ref,omitempty"`
	Case      string            `json:"c,omitempty"`
	Form      map[string]string `json:"f,omitempty"`
	// Errors maps a field to a catalog key, translated when shown.
	Errors map[string]string `json:"e,omitempty"`
	Flash  string            `json:"fl,omitempty"`
}

type viewDoc struct {
	ID      string    `bson:"_id"`
	Expires time.Time `bson:"expires"`
	Data    []byte    `bson:"data"`
}

// Views keeps the pages that work once and the forms' tokens.
type Views struct {
	st   *store.Store
	seal *seal.Sealer
	now  func() time.Time
}

// NewViews builds the store of views.
func NewViews(st *store.Store, s *seal.Sealer) *Views {
	return &Views{st: st, seal: s, now: time.Now}
}

// ViewIndexes are the indexes the views need (the sweep finds expired ones).
func ViewIndexes() []store.Index {
	return []store.Index{{Collection: collViews, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires"}}
}

func (v *Views) docID(token string) string {
	return hex.EncodeToString(v.seal.MAC("public view", token))
}

// Put stores a view and returns its token.
func (v *Views) Put(ctx context.Context, view View, ttl time.Duration) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("public: view token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	id := v.docID(token)
	data, err := json.Marshal(view)
	if err != nil {
		return "", fmt.Errorf("public: encode view: %w", err)
	}
	d := viewDoc{ID: id, Expires: v.now().Add(ttl).UTC(), Data: v.seal.Seal(string(data), "view:"+id)}
	if err := v.st.Insert(ctx, collViews, d); err != nil {
		return "", fmt.Errorf("public: store view: %w", err)
	}
	return token, nil
}

// Peek returns the view of a token of the given kind, leaving it in place
// (form tokens work until they expire: a double tap sends twice).
func (v *Views) Peek(ctx context.Context, token, kind string) (View, bool, error) {
	if len(token) != 43 {
		return View{}, false, nil
	}
	id := v.docID(token)
	var d viewDoc
	err := v.st.C(collViews).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return View{}, false, nil
	}
	if err != nil {
		return View{}, false, fmt.Errorf("public: read view: %w", err)
	}
	if v.now().After(d.Expires) {
		return View{}, false, nil
	}
	plain, err := v.seal.Open(d.Data, "view:"+id)
	if err != nil {
		return View{}, false, err
	}
	var view View
	if err := json.Unmarshal([]byte(plain), &view); err != nil {
		return View{}, false, fmt.Errorf("public: decode view: %w", err)
	}
	if kind != "" && view.Kind != kind {
		return View{}, false, nil
	}
	return view, true, nil
}

// Take returns the view of a token and removes it: it is shown once. Of
// two requests at once, only one gets it.
func (v *Views) Take(ctx context.Context, token string) (View, bool, error) {
	view, ok, err := v.Peek(ctx, token, "")
	if !ok || err != nil {
		return view, ok, err
	}
	// Views are never updated, so one delete command does: of two at
	// once only one deletes it (the write route's claim would cost four
	// more round trips on every report made through the form).
	n, err := v.st.Purge(ctx, collViews, bson.M{"_id": v.docID(token)})
	if err != nil {
		return View{}, false, fmt.Errorf("public: take view: %w", err)
	}
	return view, n == 1, nil
}

// Drop removes a token's view, if it is there.
func (v *Views) Drop(ctx context.Context, token string) error {
	if len(token) != 43 {
		return nil
	}
	_, err := v.st.Purge(ctx, collViews, bson.M{"_id": v.docID(token)})
	return err
}

// Sweep removes expired views (FerretDB v1 has no TTL index). Views are
// never updated, so one purge command is safe.
func (v *Views) Sweep(ctx context.Context) error {
	_, err := v.st.Purge(ctx, collViews, bson.M{"expires": bson.M{"$lt": v.now().UTC()}})
	return err
}

// FormToken signs an intake form's id: only ids the desk handed out make
// cases through the form, so nobody can prepare a form whose id (and so
// whose receipt) they chose.
func (v *Views) FormToken(id string) string {
	return base64.RawURLEncoding.EncodeToString(v.seal.MAC("intake form", id))
}

// FormTokenValid says whether token is the desk's signature of id.
func (v *Views) FormTokenValid(id, token string) bool {
	want := v.FormToken(id)
	return id != "" && hmac.Equal([]byte(want), []byte(token))
}
