package api_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store/storetest"
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

// typosOf are what a hand copying r makes: each digit changed, and each two
// different neighbours swapped. The check digit catches all of them.
func typosOf(r string) []string {
	var out []string
	for i := range len(r) {
		b := []byte(r)
		b[i] = '0' + (b[i]-'0'+1)%10
		out = append(out, string(b))
		if i+1 < len(r) && r[i] != r[i+1] {
			b = []byte(r)
			b[i], b[i+1] = b[i+1], b[i]
			out = append(out, string(b))
		}
	}
	return out
}

// A number copied with one digit wrong or two swapped is answered "check
// the digits", in her language, from its digits alone: however often, it
// costs none of the ten misses a client has. An unknown number that could
// be a receipt is answered "not found", with the word that an outreach
// worker's number can take until the next day, the same for every number.
func TestStatusTypoIsNotAMiss(t *testing.T) {
	env := servertest.Start(t)
	var c created
	env.PostJSON(t, "/api/v1/reports", report("De bank sloot mijn rekening")).JSON(t, &c)
	if !cases.ReceiptChecks(c.Receipt) {
		t.Fatalf("the desk made %s without a check digit", c.Receipt)
	}
	check := i18n.Default().T("nl", "status.check_digits")
	typos := typosOf(c.Receipt)
	if len(typos) < 20 {
		t.Fatalf("only %d typos", len(typos))
	}
	paths := []string{"/api/v1/status", "/api/v1/status/messages"}
	for i, typo := range typos {
		r := env.PostJSON(t, paths[i%2], map[string]string{"receipt": cases.GroupReceipt(typo), "body": "Hallo"}, "Accept-Language", "nl")
		p := mustProblem(t, r, 422)
		if p.Detail != check || len(p.Errors) != 1 || p.Errors[0].Field != "receipt" {
			t.Fatalf("typo %s answered %+v, want %q on the receipt", typo, p, check)
		}
	}
	// All ten misses are still there.
	notFound := i18n.Default().T("nl", "status.not_found_outreach")
	var first []byte
	for i := range 10 {
		r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("%015d", 81000+i))}, "Accept-Language", "nl")
		if p := mustProblem(t, r, 404); !strings.Contains(p.Detail, notFound) {
			t.Fatalf("miss %d: %q lacks %q", i+1, p.Detail, notFound)
		}
		if first == nil {
			first = r.Body
		} else if !bytes.Equal(first, r.Body) {
			t.Fatalf("two unknown numbers are answered differently:\n%s\n%s", first, r.Body)
		}
	}
	mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit("000000000081999")}), 429)
	// A typo is still told as a typo, not refused as a guess.
	mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": typos[0]}), 422)
}

// A receipt from before the check digit — here one an outdated tablet
// still makes, accepted by the sync because it was already handed over —
// opens its case, on this instance at once and on another instance of the
// same desk. While such a case exists, a number failing the check is looked
// up and counted like any lookup (it could be one of them), and answered
// "check the digits" when it opens nothing.
func TestReceiptWithoutCheckDigitStillOpens(t *testing.T) {
	db, key := storetest.DBName(), servertest.NewKey()
	env := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	_, token, err := env.Deps.Devices.Create(context.Background(), "u1", "old tablet")
	if err != nil {
		t.Fatal(err)
	}
	old := ""
	for old == "" || cases.ReceiptChecks(old) || !cases.StrongReceipt(old) {
		r, err := cases.NewReceipt()
		if err != nil {
			t.Fatal(err)
		}
		old = r[:15] + string('0'+(r[15]-'0'+1)%10)
	}
	item := report("Van een tablet met de oude app")
	item["id"], item["receipt"], item["reporter"] = uuid.NewString(), old, "outreach"
	r := env.PostJSON(t, "/api/v1/outreach/sync", map[string]any{"reports": []any{item}}, "Authorization", "Bearer "+token)
	if r.StatusCode != 200 || !strings.Contains(string(r.Body), `"created"`) {
		t.Fatalf("sync: %d %s", r.StatusCode, r.Body)
	}
	other := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	for name, e := range map[string]*servertest.Env{"same instance": env, "other instance": other} {
		if r := e.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.GroupReceipt(old)}); r.StatusCode != 200 {
			t.Fatalf("%s: the old receipt does not open its case: %d %s", name, r.StatusCode, r.Body)
		}
	}
	fresh, err := cases.NewReceipt()
	if err != nil {
		t.Fatal(err)
	}
	typos := typosOf(fresh)
	for i := range 10 {
		mustProblem(t, other.PostJSON(t, "/api/v1/status", map[string]string{"receipt": typos[i]}), 422)
	}
	mustProblem(t, other.PostJSON(t, "/api/v1/status", map[string]string{"receipt": typos[10]}), 429)
}

// TestReceiptHashedOncePerRequest: the receipt's slow hash (argon2id, ~20
// ms of a core and 19 MiB) runs at most once per request on every route
// that takes a receipt; a number the check digit refuses costs none.
func TestReceiptHashedOncePerRequest(t *testing.T) {
	env := servertest.Start(t)
	post := func(what, path string, body any, status int, want int64) servertest.Response {
		t.Helper()
		before := env.Deps.Sealer.ReceiptHashes()
		r := env.PostJSON(t, path, body)
		if r.StatusCode != status {
			t.Fatalf("%s: %d, want %d: %s", what, r.StatusCode, status, r.Body)
		}
		if n := env.Deps.Sealer.ReceiptHashes() - before; n != want {
			t.Errorf("%s: %d receipt hashes, want %d", what, n, want)
		}
		return r
	}
	var c created
	post("new report", "/api/v1/reports", report("De bank sloot mijn rekening"), 201, 1).JSON(t, &c)
	miss := cases.WithCheckDigit("000000000081000")
	typo := typosOf(c.Receipt)[0]
	post("status", "/api/v1/status", map[string]string{"receipt": c.Receipt}, 200, 1)
	post("status of an unknown number", "/api/v1/status", map[string]string{"receipt": miss}, 404, 1)
	post("status of a typo", "/api/v1/status", map[string]string{"receipt": typo}, 422, 0)
	post("message", "/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": "Nog een vraag"}, 201, 1)
	post("empty message", "/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": " "}, 422, 1)
	post("message to an unknown number", "/api/v1/status/messages", map[string]string{"receipt": miss, "body": "Hallo"}, 404, 1)
	post("message with a typo", "/api/v1/status/messages", map[string]string{"receipt": typo, "body": "Hallo"}, 422, 0)
}
