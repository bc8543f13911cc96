package pushtest

import (
	"crypto/ecdh"
	"encoding/base64"
	"testing"
	"time"
)

// The example of RFC 8291, appendix A, decrypts to its plaintext.
func TestDecryptRFC8291Example(t *testing.T) {
	b := func(s string) []byte {
		v, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ua, err := ecdh.P256().NewPrivateKey(b("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	body := b("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	plain, err := Decrypt(ua, b("BTBZMqHH6r4Tts7J_aSIgg"), body)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("plaintext %q", plain)
	}
	body[len(body)-1] ^= 1
	if _, err := Decrypt(ua, b("BTBZMqHH6r4Tts7J_aSIgg"), body); err == nil {
		t.Error("a tampered body decrypted")
	}
}

func TestVerifyVAPIDRejects(t *testing.T) {
	now := time.Now()
	for _, h := range []string{"", "WebPush abc", "vapid t=a.b.c, k=AAAA", "vapid k=x"} {
		if _, _, err := VerifyVAPID(h, "https://127.0.0.1:1", now); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
	for _, sub := range []string{"", "mailto:mailto:a@b.nl", "mailto:a@localhost", "https://127.0.0.1/x", "desk@b.nl"} {
		if checkSub(sub) == nil {
			t.Errorf("sub %q accepted", sub)
		}
	}
	for _, sub := range []string{"mailto:desk@gehoord.nl", "https://gehoord.nl"} {
		if err := checkSub(sub); err != nil {
			t.Errorf("sub %q: %v", sub, err)
		}
	}
}
