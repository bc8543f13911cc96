package outreach

import (
	"encoding/json"
	"testing"
)

// FuzzSyncBatch: any body of POST /api/v1/outreach/sync is read without
// panicking; a readable batch has one item (and so one result) for each
// item sent, however wrong each one is.
func FuzzSyncBatch(f *testing.F) {
	f.Add([]byte(`{"reports":[{"id":"5f0c4a8e-2d5b-4d8c-9a59-3b1c2f8b7a10","kind":"question","description":"x","wish":"advice","identity":{"mode":"anonymous"},"language":"en"}],` +
		`"cards":[{"id":"c1","batch":"A-7","date":"2026-11-30","count":"5"}],"rounds":[{"id":42,"date":"2026-11-30"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req SyncRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		var raw struct {
			Reports, Cards, Rounds []json.RawMessage
		}
		if json.Unmarshal(body, &raw) != nil {
			return
		}
		if len(req.Reports) != len(raw.Reports) || len(req.Cards) != len(raw.Cards) || len(req.Rounds) != len(raw.Rounds) {
			t.Fatalf("items lost: %d/%d reports, %d/%d cards, %d/%d rounds", len(req.Reports), len(raw.Reports),
				len(req.Cards), len(raw.Cards), len(req.Rounds), len(raw.Rounds))
		}
		for _, m := range raw.Reports {
			if h := peek(m); len(h.ID) > 64 || len(h.Language) > 8 {
				t.Fatalf("peek kept %d bytes of id, %d of language", len(h.ID), len(h.Language))
			}
		}
	})
}
