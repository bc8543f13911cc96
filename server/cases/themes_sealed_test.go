package cases

import (
	"bytes"
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestThemeTextIsSealedAtRest: a theme's title and organisation name are
// free text and are stored sealed; themes stored before are sealed at
// start, and read back the same.
func TestThemeTextIsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	s, st, _ := newTestService(t)
	th, err := s.CreateTheme(ctx, "coord", "Bank Voorbeeld weigert zakelijke rekeningen", "business", "Bank Voorbeeld NV")
	if err != nil {
		t.Fatal(err)
	}
	// One stored the way the earlier version did.
	if err := st.Insert(ctx, collectionThemes, bson.M{"_id": "legacy", "title": "Oude titel verhuurder", "org_name": "Verhuur Oud BV", "org_type": "landlord"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SealThemes(ctx); err != nil {
		t.Fatal(err)
	}
	cur, err := st.C(collectionThemes).Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var raws []bson.Raw
	if err := cur.All(ctx, &raws); err != nil {
		t.Fatal(err)
	}
	for _, r := range raws {
		for _, plain := range []string{"Voorbeeld", "Oude titel", "Verhuur Oud"} {
			if bytes.Contains(r, []byte(plain)) {
				t.Fatalf("theme stored with %q in plain text: %v", plain, r)
			}
		}
	}
	list, err := s.Themes(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("themes: %v %v", list, err)
	}
	got := map[string]Theme{list[0].ID: list[0], list[1].ID: list[1]}
	if g := got[th.ID]; g.Title != th.Title || g.OrgName != "Bank Voorbeeld NV" {
		t.Fatalf("read back %+v", g)
	}
	if g := got["legacy"]; g.Title != "Oude titel verhuurder" || g.OrgName != "Verhuur Oud BV" {
		t.Fatalf("legacy theme read back %+v", g)
	}
	if list[0].ID != th.ID { // "Bank…" sorts before "Oude…"
		t.Fatalf("not sorted by title: %q, %q", list[0].Title, list[1].Title)
	}
}
