package push

import (
	"encoding/json"
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzPushSubscription: any subscription a browser (or anyone signed in)
// sends is decoded and checked without panicking; what passes goes to a
// push service of the list over https, with a label of at most MaxLabel
// characters.
func FuzzPushSubscription(f *testing.F) {
	f.Add([]byte(`{"endpoint":"https://fcm.googleapis.com/fcm/send/abc","keys":{"p256dh":"BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM","auth":"tBHItJI5svbpez7KI4CCXg"},"label":"Werktelefoon"}`))
	s := &Service{}
	for _, h := range DefaultHosts {
		s.hosts = append(s.hosts, normHost(h))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in Input
		if json.Unmarshal(body, &in) != nil {
			return
		}
		if s.Validate(&in) != nil {
			return
		}
		u, err := url.Parse(in.Endpoint)
		if err != nil || u.Scheme != "https" || !s.hostAllowed(u.Hostname()) {
			t.Fatalf("endpoint %q passed", in.Endpoint)
		}
		if !utf8.ValidString(in.Label) || utf8.RuneCountInString(in.Label) > MaxLabel {
			t.Fatalf("label %q passed", in.Label)
		}
	})
}
