package public_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store/storetest"
	"github.com/gehoord/gehoord/server/web/public"
)

// TestViewIsTakenOnce: of requests that take one page shown once at the
// same moment, on one instance or two, exactly one gets it.
func TestViewIsTakenOnce(t *testing.T) {
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sts := storetest.Instances(t, 2)
	views := []*public.Views{public.NewViews(sts[0], sealer), public.NewViews(sts[1], sealer)}
	ctx := t.Context()
	for round := range 20 {
		token, err := views[0].Put(ctx, public.View{Kind: "receipt", Receipt: "1234"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		took := make([]bool, 4)
		errs := make([]error, 4)
		storetest.Together(4, func(i int) {
			var v public.View
			v, took[i], errs[i] = views[i%2].Take(ctx, token)
			if took[i] && v.Receipt != "1234" {
				took[i] = false
			}
		})
		n := 0
		for i := range took {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if took[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d requests got the page shown once, want 1", round, n)
		}
	}
}
