package appui_test

import (
	"encoding/json"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
)

// TestSentKeepFromConfig: the time a tablet keeps a sent item's list
// entry comes from GEHOORD_APP_SENT_KEEP_HOURS through /app/config.json,
// including 0 (dropped at the next unlock); unset, 12 hours.
func TestSentKeepFromConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{nil, 12},
		{map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": "3"}, 3},
		{map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": "0"}, 0},
	} {
		env := servertest.StartWith(t, servertest.Options{Env: tc.env})
		st, _, body := get(t, env.URL+"/app/config.json")
		var cfg struct {
			SentKeepHours *int `json:"sent_keep_hours"`
		}
		if err := json.Unmarshal(body, &cfg); st != 200 || err != nil || cfg.SentKeepHours == nil {
			t.Fatalf("%v: config.json %d %v %s", tc.env, st, err, body)
		}
		if *cfg.SentKeepHours != tc.want {
			t.Errorf("%v: sent_keep_hours %d, want %d", tc.env, *cfg.SentKeepHours, tc.want)
		}
	}
}
