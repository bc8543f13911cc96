package outreach_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/outreach"
)

// TestRoundMunicipalityIsCoded: a round's and a card count's municipality
// is stored as a case's is (the CBS code, or "unknown" for text that names
// none, never a rejection the tablet could not correct); rounds and counts
// stored as free text before are coded at start, once, and a tablet that
// sends such a round again still gets "duplicate", not a conflict.
func TestRoundMunicipalityIsCoded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev, _, _ := e.devices.Create(ctx, "u1", "t")
	day := time.Now().Format("2006-01-02")
	round := outreach.Round{ID: uuid.NewString(), Date: day, Setting: "window", Municipality: " utrecht", Language: "en"}
	card := outreach.CardCount{ID: uuid.NewString(), Round: round.ID, Batch: "a-7", Municipality: "Nergenshuizen", Date: day, Count: 3, Language: "en"}
	for pass, want := range []string{outreach.Created, outreach.Duplicate} {
		resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Rounds: []outreach.Round{round}, Cards: []outreach.CardCount{card}})
		if err != nil || resp.Rounds[0].Result != want || resp.Cards[0].Result != want {
			t.Fatalf("pass %d: %+v %v", pass, resp, err)
		}
	}
	if got, err := e.rounds.GetRound(ctx, round.ID); err != nil || got.Municipality != "GM0344" {
		t.Fatalf("round stored with %q (%v), want GM0344", got.Municipality, err)
	}
	if cs, err := e.rounds.CardCounts(ctx, round.ID); err != nil || len(cs) != 1 || cs[0].Municipality != "unknown" {
		t.Fatalf("card count stored as %+v (%v), want unknown", cs, err)
	}

	// Stored by the earlier version: free text.
	old := outreach.Round{ID: uuid.NewString(), Date: day, Setting: "club", Municipality: "Den Haag", Place: "Doubletstraat", Device: dev.ID}
	oldCard := outreach.CardCount{ID: uuid.NewString(), Round: old.ID, Batch: "B-1", Municipality: "Rondedorp", Date: day, Count: 5, Device: dev.ID, Applied: true}
	if err := e.st.Insert(ctx, "outreach_rounds", old); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Insert(ctx, "outreach_cards", oldCard); err != nil {
		t.Fatal(err)
	}
	if n, err := e.rounds.CodeMunicipalities(ctx); err != nil || n != 2 {
		t.Fatalf("coded %d (%v), want 2", n, err)
	}
	if n, err := e.rounds.CodeMunicipalities(ctx); err != nil || n != 0 {
		t.Fatalf("second run coded %d (%v), want 0", n, err)
	}
	if got, _ := e.rounds.GetRound(ctx, old.ID); got.Municipality != "GM0518" {
		t.Fatalf("old round coded as %q, want GM0518", got.Municipality)
	}
	if cs, _ := e.rounds.CardCounts(ctx, old.ID); len(cs) != 1 || cs[0].Municipality != "unknown" {
		t.Fatalf("old card count coded as %+v", cs)
	}
	old.Language = "nl"
	resp, err := e.sync.Sync(ctx, dev, outreach.SyncRequest{Rounds: []outreach.Round{old}})
	if err != nil || resp.Rounds[0].Result != outreach.Duplicate {
		t.Fatalf("the old round sent again: %+v %v", resp, err)
	}
}
