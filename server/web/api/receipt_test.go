package api_test

import (
	"bytes"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
)

// The public API never takes a receipt from the sender: a fake card or a
// look-alike app would otherwise know her receipt and read the desk's
// answers. Whatever receipt is sent — chosen, weak, or one that opens
// another case — the answer is the same, so none reveals whether some
// receipt exists.
func TestAPINeverTakesAReceiptAndRevealsNone(t *testing.T) {
	env := servertest.Start(t)
	r := env.PostJSON(t, "/api/v1/reports", report("De eerste melding"))
	if r.StatusCode != 201 {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	var first created
	r.JSON(t, &first)
	fresh, err := cases.NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]servertest.Response{}
	for name, receipt := range map[string]string{"chosen": "0000000000000000", "fresh": fresh, "existing": first.Receipt} {
		body := report("Een melding met een eigen nummer")
		body["id"] = uuid.NewString()
		body["receipt"] = receipt
		r := env.PostJSON(t, "/api/v1/reports", body)
		if r.StatusCode == 201 || r.StatusCode == 200 {
			var c created
			r.JSON(t, &c)
			t.Fatalf("%s receipt: the API made a case (%d, receipt %s)", name, r.StatusCode, c.Receipt)
		}
		p := mustProblem(t, r, 422)
		if len(p.Errors) != 1 || p.Errors[0].Field != "receipt" {
			t.Fatalf("%s receipt: errors %+v, want one on receipt", name, p.Errors)
		}
		answers[name] = r
	}
	if !bytes.Equal(answers["existing"].Body, answers["fresh"].Body) || !bytes.Equal(answers["chosen"].Body, answers["fresh"].Body) {
		t.Fatalf("the answers differ:\nexisting %s\nfresh %s\nchosen %s", answers["existing"].Body, answers["fresh"].Body, answers["chosen"].Body)
	}
	if r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": "0000000000000000"}); r.StatusCode != 404 {
		t.Fatalf("the chosen receipt opens something: %d", r.StatusCode)
	}
	// Without a receipt the server makes one, and it opens the case.
	r = env.PostJSON(t, "/api/v1/reports", report("Zonder nummer"))
	var c created
	r.JSON(t, &c)
	if r.StatusCode != 201 || !cases.ValidReceipt(c.Receipt) || c.Receipt == first.Receipt {
		t.Fatalf("server-made receipt: %d %+v", r.StatusCode, c)
	}
	if r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": c.Receipt}); r.StatusCode != 200 {
		t.Fatalf("its receipt does not open it: %d", r.StatusCode)
	}
}
