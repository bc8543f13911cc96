package push_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/push"
)

// The VAPID private key is stored sealed: the document holds it in no
// readable form, and another secret key cannot open it.
func TestVAPIDPrivateKeyStoredSealed(t *testing.T) {
	e := newEnv(t)
	p := e.service(t)
	priv, err := p.VAPIDPrivate(ctx)
	if err != nil || priv == "" {
		t.Fatalf("private key %q: %v", priv, err)
	}
	scalar, err := base64.RawURLEncoding.DecodeString(priv)
	if err != nil || len(scalar) != 32 {
		t.Fatalf("private key is not a base64url P-256 scalar: %v", err)
	}
	raw, err := e.st.C("push_keys").FindOne(ctx, bson.M{"_id": "vapid"}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for name, form := range map[string][]byte{
		"base64url": []byte(priv), "base64": []byte(base64.StdEncoding.EncodeToString(scalar)),
		"hex": []byte(hex.EncodeToString(scalar)), "raw": scalar,
	} {
		if bytes.Contains(raw, form) {
			t.Errorf("the stored key document holds the private key (%s)", name)
		}
	}
	other, err := push.New(push.Config{Store: e.st, Sealer: sealer(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.PublicKey(ctx); err == nil {
		t.Error("another secret key opened the stored private key")
	}
}
