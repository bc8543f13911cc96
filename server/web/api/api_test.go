package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/web/api"
)

func report(desc string) map[string]any {
	return map[string]any{
		"kind": "complaint", "category": "business.bank", "description": desc,
		"about": "Bank Oranje", "municipality": "Utrecht", "wish": "handle",
		"identity": map[string]any{"mode": "named", "name": "Roxana Pop", "contact": "+31 6 1234 5678"},
		"language": "ro",
	}
}

type created struct{ Receipt, Reference string }

type status struct {
	Reference string
	State     string
	Messages  []struct{ From, Body, At string }
}

type problemDoc struct {
	Type, Title, Detail string
	Status              int
	Errors              []struct{ Field, Detail string }
}

func mustProblem(t *testing.T, r servertest.Response, want int) problemDoc {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s: status %d, want %d: %s", r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d: Content-Type %q, want application/problem+json", want, ct)
	}
	var p problemDoc
	r.JSON(t, &p)
	if p.Status != want || p.Title == "" || p.Type == "" {
		t.Fatalf("problem document incomplete: %+v", p)
	}
	return p
}

func TestAPICreatesCaseAndReceiptOpensIt(t *testing.T) {
	env := servertest.Start(t)
	r := env.PostJSON(t, "/api/v1/reports", report("De bank sloot mijn rekening zonder reden"))
	if r.StatusCode != 201 {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	var c created
	r.JSON(t, &c)
	if !cases.ValidReceipt(c.Receipt) || !strings.HasPrefix(c.Reference, "GH-") {
		t.Fatalf("bad receipt or reference: %+v", c)
	}
	// The receipt, also typed with spaces, opens the case and shows the
	// acknowledgement in her language (Romanian falls back until the
	// catalogs land, but it is a desk message either way).
	grouped := cases.GroupReceipt(c.Receipt)
	r = env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": grouped})
	if r.StatusCode != 200 {
		t.Fatalf("status: %d %s", r.StatusCode, r.Body)
	}
	var s status
	r.JSON(t, &s)
	if s.Reference != c.Reference || s.State != "received" || len(s.Messages) != 1 || s.Messages[0].From != "desk" ||
		!strings.Contains(s.Messages[0].Body, c.Reference) {
		t.Fatalf("status = %+v", s)
	}
	// Nothing else opens it: another number is not found; the reference
	// or a near miss cannot be a receipt at all.
	mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": "0000000000000000"}), 404)
	for _, wrong := range []string{c.Reference, c.Receipt[:15], c.Receipt + "1"} {
		r = env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": wrong})
		mustProblem(t, r, 422)
	}
	// Her reply lands on the case and flips its state.
	r = env.PostJSON(t, "/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": "Ik heb nog een brief"})
	if r.StatusCode != 201 {
		t.Fatalf("reply: %d %s", r.StatusCode, r.Body)
	}
	r = env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": c.Receipt})
	r.JSON(t, &s)
	if len(s.Messages) != 2 || s.Messages[1].From != "you" || s.Messages[1].Body != "Ik heb nog een brief" || s.State != "reply_received" {
		t.Fatalf("after reply: %+v", s)
	}
	r = env.PostJSON(t, "/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": "  "})
	p := mustProblem(t, r, 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "body" || p.Errors[0].Detail == "" {
		t.Fatalf("empty reply errors: %+v", p)
	}
}

func TestIdempotentRepeatAndConflict(t *testing.T) {
	env := servertest.Start(t)
	body := report("Twee keer verstuurd")
	body["id"] = "6f1c3f0e-1d2b-4c5a-9e8f-0123456789ab"
	r1 := env.PostJSON(t, "/api/v1/reports", body)
	if r1.StatusCode != 201 {
		t.Fatalf("first: %d %s", r1.StatusCode, r1.Body)
	}
	r2 := env.PostJSON(t, "/api/v1/reports", body)
	if r2.StatusCode != 200 {
		t.Fatalf("repeat: %d %s", r2.StatusCode, r2.Body)
	}
	var c1, c2 created
	r1.JSON(t, &c1)
	r2.JSON(t, &c2)
	// The same case; the receipt is told once, to the request that made it.
	if c1.Reference != c2.Reference || !cases.ValidReceipt(c1.Receipt) || c2.Receipt != "" {
		t.Fatalf("repeat answered %+v, first %+v", c2, c1)
	}
	n, err := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{})
	if err != nil || n != 1 {
		t.Fatalf("cases stored: %d %v", n, err)
	}
	body["description"] = "Iets anders"
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", body), 409)
	// The acknowledgement is written once, however often the report came.
	evs, err := env.Deps.Store.C("case_events").CountDocuments(context.Background(), bson.M{"type": "message"})
	if err != nil || evs != 1 {
		t.Fatalf("acknowledgements: %d %v", evs, err)
	}
}

func TestConcurrentRepeatsMakeOneCase(t *testing.T) {
	env := servertest.Start(t)
	body := report("Tegelijk verstuurd")
	body["id"] = "0b8e2b6c-8f0e-4a57-b7a9-3a1f3c2e9d10"
	codes := make(chan int, 8)
	for range 8 {
		go func() {
			r, err := env.SendJSON("/api/v1/reports", body)
			if err != nil {
				t.Error(err)
				codes <- 0
				return
			}
			codes <- r.StatusCode
		}()
	}
	counts := map[int]int{}
	for range 8 {
		counts[<-codes]++
	}
	if counts[201] != 1 || counts[200] != 7 {
		t.Fatalf("want one 201 and seven 200, got %v", counts)
	}
	n, _ := env.Deps.Store.C("cases").CountDocuments(context.Background(), bson.M{})
	if n != 1 {
		t.Fatalf("%d cases for one id", n)
	}
}

func TestErrorCodesAreProblemJSON(t *testing.T) {
	env := servertest.Start(t)
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", `{"kind": "complaint",`), 400)
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", `{"kind": 5}`), 400)
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", `{} {}`), 400)
	big := report(strings.Repeat("x", 70<<10))
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", big), 413)
	mustProblem(t, env.PostJSON(t, "/api/v1/reports", `kind=complaint`, "Content-Type", "application/x-www-form-urlencoded"), 415)
	mustProblem(t, env.PostJSON(t, "/api/v1/status", `{}`, "Content-Type", "text/plain"), 415)

	p := mustProblem(t, env.PostJSON(t, "/api/v1/reports", map[string]any{
		"kind": "complaint", "description": "", "wish": "x", "identity": map[string]any{"mode": "work_name"}, "language": "nl",
	}), 422)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
		if e.Detail == "" || strings.HasPrefix(e.Detail, "error.") {
			t.Fatalf("untranslated detail for %s: %q", e.Field, e.Detail)
		}
	}
	for _, want := range []string{"category", "description", "wish", "identity.name"} {
		if !slices.Contains(fields, want) {
			t.Fatalf("422 errors %v lack %s", fields, want)
		}
	}
	// Dutch details for a Dutch report.
	if !strings.Contains(string(mustBody(p)), "Schrijf wat er gebeurd is") {
		t.Fatalf("errors not in the report's language: %+v", p)
	}

	// Repeated misses are limited (10 per window), and then even a right
	// receipt is refused for a while.
	var last servertest.Response
	for i := range 11 {
		last = env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("9999999999999%02d", i))})
	}
	mustProblem(t, last, 429)
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func mustBody(p problemDoc) []byte { b, _ := json.Marshal(p); return b }

func TestNoPlaintextAtRest(t *testing.T) {
	env := servertest.Start(t)
	secret := []string{"Vertrouwelijk verhaal over kamerhuur", "Huisbaas Jansen BV", "Roxana Pop", "+31 6 1234 5678", "Antwoord met geheim woord"}
	b := report(secret[0])
	b["about"], b["category"] = secret[1], "landlord.rent"
	b["identity"] = map[string]any{"mode": "named", "name": secret[2], "contact": secret[3]}
	r := env.PostJSON(t, "/api/v1/reports", b)
	var c created
	r.JSON(t, &c)
	env.PostJSON(t, "/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": secret[4]})
	ctx := context.Background()
	names, err := env.Deps.Store.DB.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, n := range names {
		cur, err := env.Deps.Store.C(n).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			all.Write(cur.Current)
		}
	}
	if all.Len() < 200 {
		t.Fatalf("read only %d bytes from %v", all.Len(), names)
	}
	for _, s := range append(secret, c.Receipt) {
		if bytes.Contains(all.Bytes(), []byte(s)) {
			t.Fatalf("%q is stored in clear", s)
		}
	}
	// Metadata the desk counts on stays in clear.
	if !bytes.Contains(all.Bytes(), []byte("landlord.rent")) || !bytes.Contains(all.Bytes(), []byte("GM0344")) {
		t.Fatal("category and municipality must stay filterable")
	}
}

func TestCategories(t *testing.T) {
	env := servertest.Start(t)
	r := env.Get(t, "/api/v1/categories?lang=nl")
	var cats []struct{ ID, Group, Label string }
	r.JSON(t, &cats)
	want := []string{"government.tax", "government.municipality", "government.kvk", "government.enforcement", "exit.housing",
		"exit.benefits", "police", "care", "operator.pay", "operator.conditions", "operator.coercion", "operator.harassment",
		"operator.dismissal", "landlord.rent", "business.bank", "business.legal", "business.insurance", "private.neighbours",
		"private.family", "online.images", "other"}
	var ids []string
	for _, c := range cats {
		ids = append(ids, c.ID)
		if c.Label == "" || c.Group == "" || strings.HasPrefix(c.Label, "category.") {
			t.Fatalf("category %+v", c)
		}
	}
	for _, w := range want {
		if !slices.Contains(ids, w) {
			t.Fatalf("missing category %s", w)
		}
	}
	if cats[0].Label != "Belastingdienst" {
		t.Fatalf("lang=nl label %q", cats[0].Label)
	}
}

// TestOpenAPICoversEveryRoute keeps the document true: every /api route of
// the application is in it with its method, and it names no route that
// does not exist.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	env := servertest.Start(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range env.App.GetRoutes(true) {
		if !strings.HasPrefix(rt.Path, "/api/") || rt.Method == "HEAD" {
			continue
		}
		p := openapiPath(rt.Path)
		key := strings.ToLower(rt.Method) + " " + p
		served[key] = true
		if _, ok := doc.Paths[p][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Path)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			if !served[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which the server does not serve", m, p)
			}
		}
	}
	if r := env.Get(t, "/api/v1/openapi.json"); r.StatusCode != 200 || !json.Valid(r.Body) {
		t.Fatalf("openapi.json served %d", r.StatusCode)
	}
}

// openapiPath turns Fiber's /x/:id into OpenAPI's /x/{id}.
func openapiPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + strings.TrimSuffix(strings.TrimPrefix(s, ":"), "?") + "}"
		}
	}
	return strings.Join(parts, "/")
}

// burst sends n requests released at once and tallies their status codes.
// A request that got no answer is tallied as 0.
func burst(t *testing.T, n int, req func(i int) *http.Request) map[int]int {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
		codes = map[int]int{}
	)
	client := servertest.Client()
	for i := range n {
		r := req(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := client.Do(r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[0]++
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[res.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// Parallel lookups with unknown receipts from one client: only as many are
// checked as the limit allows (10 per window); the rest are refused
// before the receipt is hashed.
func TestStatusMissLimitHoldsUnderParallelLookups(t *testing.T) {
	env := servertest.Start(t)
	paths := []string{"/api/v1/status", "/api/v1/status/messages"}
	codes := burst(t, 120, func(i int) *http.Request {
		b, _ := json.Marshal(map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("%015d", 5000+i)), "body": "Hallo"})
		r, _ := http.NewRequest(http.MethodPost, env.URL+paths[i%len(paths)], bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		return r
	})
	// 503: the server was too busy to take it on (a slow machine).
	if codes[404] > 10 || codes[429] == 0 || codes[404]+codes[429]+codes[503] != 120 {
		t.Fatalf("120 parallel misses answered %v: want at most 10 checked (404), the rest 429 (or 503)", codes)
	}
}

// A worker who checks her status often is not limited by her own
// successful lookups; only misses count.
func TestStatusLookupsThatFindCountNothing(t *testing.T) {
	env := servertest.Start(t)
	var c created
	env.PostJSON(t, "/api/v1/reports", report("De bank sloot mijn rekening")).JSON(t, &c)
	for i := range 9 {
		mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("%015d", 7000+i))}), 404)
	}
	for i := range 15 {
		if r := env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": c.Receipt}); r.StatusCode != 200 {
			t.Fatalf("own lookup %d after 9 misses: %d %s", i+1, r.StatusCode, r.Body)
		}
	}
	mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit("000000000007777")}), 404)
	mustProblem(t, env.PostJSON(t, "/api/v1/status", map[string]string{"receipt": c.Receipt}), 429)
}
