package public_test

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/servertest"
)

// storedPlace reads the municipality and region of the one case stored.
func storedPlace(t *testing.T, env *servertest.Env) (municipality, region any) {
	t.Helper()
	var c bson.M
	if err := env.Deps.Store.C("cases").FindOne(context.Background(), bson.M{}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c["municipality"], c["region"]
}

// TestFormMunicipalityIsAChoice: the no-JS form offers the municipalities
// as a list (with "I don't know" and "online" first, labelled, in the
// page's language); a municipality that is not on the list is refused on
// the field in her language and keeps what she wrote; a chosen one is
// stored as its code with the safety region.
func TestFormMunicipalityIsAChoice(t *testing.T) {
	env := servertest.Start(t)
	d := doc(t, env.Get(t, "/en/report"))
	sel := d.Find("select#f-municipality[name=municipality]")
	if sel.Length() != 1 || sel.AttrOr("autocomplete", "") != "off" || d.Find("label[for=f-municipality]").Length() != 1 {
		t.Fatal("no labelled municipality list with autocomplete=off")
	}
	opts := sel.Find("option")
	if opts.Length() != 344 {
		t.Fatalf("%d options, want 342 municipalities and 2 answers", opts.Length())
	}
	var values, labels []string
	opts.Each(func(_ int, o *goquery.Selection) {
		values, labels = append(values, o.AttrOr("value", "")), append(labels, strings.TrimSpace(o.Text()))
	})
	if values[0] != "unknown" || values[1] != "online" || labels[0] == "" || strings.HasPrefix(labels[0], "form.") ||
		labels[1] == "" || strings.HasPrefix(labels[1], "form.") || values[2] != "GM1680" || labels[2] != "Aa en Hunze" {
		t.Fatalf("first options %q %q", values[:3], labels[:3])
	}
	if sel.Find("option[selected]").Length() != 0 {
		t.Fatal("a fresh form has a municipality chosen")
	}

	// Not on the list (a form from before the list, or made up).
	for lang, want := range map[string]string{"en": "Choose a municipality from the list.", "nl": "Kies een gemeente uit de lijst."} {
		form := fill(openForm(t, env, "/"+lang+"/report"))
		form.Set("municipality", "Nergenshuizen")
		form.Set("description", "What I typed must stay")
		r := submit(t, env, "/"+lang+"/report", form)
		if r.StatusCode != 422 {
			t.Fatalf("%s: unknown municipality answered %d, want 422", lang, r.StatusCode)
		}
		d := doc(t, r)
		if got := d.Find("#err-municipality").Text(); got != want {
			t.Fatalf("%s: municipality error %q, want %q", lang, got, want)
		}
		if d.Find("#f-municipality").AttrOr("aria-invalid", "") != "true" ||
			!strings.Contains(d.Find("#f-municipality").AttrOr("aria-describedby", ""), "err-municipality") {
			t.Fatalf("%s: the list is not marked invalid with its error", lang)
		}
		if got := d.Find("#f-description").Text(); got != "What I typed must stay" {
			t.Fatalf("%s: description lost: %q", lang, got)
		}
		if d.Find(`input[name=wish][value=advice]`).AttrOr("checked", "x") == "x" {
			t.Fatalf("%s: chosen wish lost", lang)
		}
	}
	if n, _ := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Fatalf("%d cases made with an unknown municipality", n)
	}

	// A choice from the list, and a form sent back for another field keeps it.
	form := fill(openForm(t, env, "/en/report"))
	form.Set("municipality", "GM0518")
	form.Set("wish", "")
	r := submit(t, env, "/en/report", form)
	if r.StatusCode != 422 || doc(t, r).Find("#f-municipality option[selected]").AttrOr("value", "") != "GM0518" {
		t.Fatalf("the chosen municipality was not kept: %d", r.StatusCode)
	}
	form.Set("wish", "advice")
	if r := submit(t, env, "/en/report", form); r.StatusCode != 200 {
		t.Fatalf("a listed municipality answered %d", r.StatusCode)
	}
	if m, reg := storedPlace(t, env); m != "GM0518" || reg != "Haaglanden" {
		t.Fatalf("stored municipality %v in region %v, want GM0518 in Haaglanden", m, reg)
	}
}
