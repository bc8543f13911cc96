package public_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
)

// A professional whose client does not complain herself can send the
// report "for reports only" from the public form: counted, no deadlines,
// no name. Ticking it as someone reporting for herself, or with a name,
// brings the form back with the field's error and what was typed.
func TestFormForReportsOnly(t *testing.T) {
	env := servertest.Start(t)
	form := fill(openForm(t, env, "/en/report"))
	form.Set("reporter", "professional")
	form.Set("report_only", "yes")
	r := submit(t, env, "/en/report", form)
	if r.StatusCode != 422 {
		t.Fatalf("for reports only with a work name: %d, want 422", r.StatusCode)
	}
	d := doc(t, r)
	if d.Find(`#f-identity_mode[aria-invalid=true], fieldset[aria-invalid=true] input[name=identity_mode]`).Length() == 0 {
		t.Fatal("the identity field does not show its error")
	}
	if d.Find(`input[name=report_only][value=yes]`).AttrOr("checked", "none") == "none" {
		t.Fatal("the ticked box was not kept")
	}

	form = fill(openForm(t, env, "/en/report"))
	form.Set("reporter", "self")
	form.Set("report_only", "yes")
	form.Set("identity_mode", "anonymous")
	form.Del("name")
	if r := submit(t, env, "/en/report", form); r.StatusCode != 422 {
		t.Fatalf("for reports only about herself: %d, want 422", r.StatusCode)
	}

	form = fill(openForm(t, env, "/en/report"))
	form.Set("reporter", "professional")
	form.Set("report_only", "yes")
	form.Set("identity_mode", "anonymous")
	form.Del("name")
	r = submit(t, env, "/en/report", form)
	if r.StatusCode != 200 {
		t.Fatalf("for reports only: %d", r.StatusCode)
	}
	receiptOf(t, r)
	var c cases.Case
	if err := env.Deps.Store.C("cases").FindOne(context.Background(), bson.M{"client_id": form.Get("id")}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if !c.ReportOnly || c.Name != nil || c.Reporter != "professional" {
		t.Fatalf("stored report_only %v, name %v, reporter %q", c.ReportOnly, c.Name, c.Reporter)
	}
	if !c.Deadlines.Answer.IsZero() || !c.Deadlines.Route.IsZero() {
		t.Fatalf("a report for reports only has deadlines: %+v", c.Deadlines)
	}
}
