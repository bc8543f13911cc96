package api_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
)

// TestAPIMunicipalityIsCoded: "municipality" is a CBS code or a name from
// the list (any case), "unknown", "online" or left out; the case keeps the
// code and its safety region. Anything else is a 422 on the field, in the
// report's language, and makes no case. The list itself is served.
func TestAPIMunicipalityIsCoded(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	stored := func(reference string) (any, any) {
		t.Helper()
		var c bson.M
		if err := env.Deps.Store.C("cases").FindOne(ctx, bson.M{"reference": reference}).Decode(&c); err != nil {
			t.Fatal(err)
		}
		return c["municipality"], c["region"]
	}
	for in, want := range map[string][2]string{
		"GM0363": {"GM0363", "Amsterdam-Amstelland"}, "'s-gravenhage": {"GM0518", "Haaglanden"},
		"UTRECHT": {"GM0344", "Utrecht"}, "online": {"online", "online"}, "": {"unknown", "unknown"},
	} {
		b := report("municipality " + in)
		if in == "" {
			delete(b, "municipality")
		} else {
			b["municipality"] = in
		}
		r := env.PostJSON(t, "/api/v1/reports", b)
		if r.StatusCode != 201 {
			t.Fatalf("%q: %d %s", in, r.StatusCode, r.Body)
		}
		var c created
		r.JSON(t, &c)
		if m, reg := stored(c.Reference); m != want[0] || reg != want[1] {
			t.Errorf("%q stored as %v in %v, want %s in %s", in, m, reg, want[0], want[1])
		}
	}

	before, _ := env.Deps.Store.C("cases").CountDocuments(ctx, bson.M{})
	b := report("a place nobody knows")
	b["municipality"] = "Nergenshuizen"
	p := mustProblem(t, env.PostJSON(t, "/api/v1/reports", b), 422)
	want := i18n.Default().T("ro", "error.field.municipality")
	if len(p.Errors) != 1 || p.Errors[0].Field != "municipality" || p.Errors[0].Detail != want || want == "error.field.municipality" {
		t.Fatalf("errors %+v, want one on municipality: %q", p.Errors, want)
	}
	if after, _ := env.Deps.Store.C("cases").CountDocuments(ctx, bson.M{}); after != before {
		t.Fatal("a report with an unknown municipality made a case")
	}

	var list []struct{ Code, Name, Region string }
	env.Get(t, "/api/v1/municipalities?lang=en").JSON(t, &list)
	if len(list) != 342 || list[0].Name != "Aa en Hunze" {
		t.Fatalf("%d municipalities, first %+v", len(list), list)
	}
	found := false
	for _, m := range list {
		found = found || m == struct{ Code, Name, Region string }{"GM0363", "Amsterdam", "Amsterdam-Amstelland"}
	}
	if !found {
		t.Fatal("Amsterdam not listed with its code and region")
	}
}
