package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/web/api"
)

// openapiDoc is openapi.json as plain JSON values.
func openapiDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// pointer resolves a JSON pointer ("/components/schemas/Report") in doc.
func pointer(doc any, p string) (any, bool) {
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func states(ss []cases.State) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// TestOpenAPIEnumsAreTheServers: every enum in openapi.json is the Go list
// the server validates with (or answers from), in its order; an enum with
// no Go list behind it must be named here as such.
func TestOpenAPIEnumsAreTheServers(t *testing.T) {
	doc := openapiDoc(t)
	var categoryIDs []string
	for _, c := range cases.Categories {
		categoryIDs = append(categoryIDs, c.ID)
	}
	const report = "/components/schemas/Report/properties/"
	fromGo := map[string][]string{
		"/paths/~1api~1v1~1categories/get/parameters/0/schema/enum": cases.PublicLanguages,
		report + "kind/enum":                                 cases.Kinds,
		report + "setting/enum":                              cases.Settings,
		report + "wish/enum":                                 cases.Wishes,
		report + "identity/properties/mode/enum":             cases.IdentityModes,
		report + "reporter/enum":                             cases.Reporters,
		report + "language/enum":                             cases.PublicLanguages,
		"/components/schemas/Category/properties/id/enum":    categoryIDs,
		"/components/schemas/Category/properties/group/enum": cases.Groups,
		"/components/schemas/Status/properties/state/enum":   states(cases.AllStates),
		"/paths/~1api~1v1~1status~1messages/post/responses/201/content/application~1json/schema/properties/state/enum": states(cases.AllStates),
		"/components/schemas/SyncResult/properties/result/enum":                                                        {outreach.Created, outreach.Duplicate, outreach.Rejected},
	}
	// Enums no Go list stands behind (literals in one place of the code).
	documentary := map[string]string{
		"/components/schemas/Message/properties/from/enum":       "cases.Messages writes \"desk\" or \"you\"",
		"/components/schemas/Round/properties/language/enum":     "the language of a round's rejection messages",
		"/components/schemas/CardCount/properties/language/enum": "the language of a card count's rejection messages",
		"/components/schemas/SealedItem/properties/kind/enum":    "outreach's sync opens \"round\", \"report\" or \"cards\"",
	}
	for p, want := range fromGo {
		v, ok := pointer(doc, p)
		if !ok {
			t.Errorf("openapi.json has no enum at %s (want %v)", p, want)
			continue
		}
		var got []string
		for _, x := range v.([]any) {
			got = append(got, fmt.Sprint(x))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: openapi.json says %v, the server %v", p, got, want)
		}
	}
	// Every enum in the document is one of the above.
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				q := p + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
				if k == "enum" {
					if _, ok := fromGo[q]; !ok && documentary[q] == "" {
						t.Errorf("enum at %s is tied to no Go value: add it to this test", q)
					}
				}
				walk(y, q)
			}
		case []any:
			for i, y := range x {
				walk(y, p+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
}

// schemaCheck validates v against the subset of JSON Schema openapi.json
// uses: $ref, allOf, type, enum, required, properties, items, minLength,
// maxLength, pattern, minimum and the formats date, date-time and uuid.
// Objects are closed: a property the schema does not name is an error,
// so the document lists everything a response carries.
type schemaCheck struct {
	doc  map[string]any
	errs []string
}

func (s *schemaCheck) fail(at, format string, args ...any) {
	s.errs = append(s.errs, at+": "+fmt.Sprintf(format, args...))
}

var formats = map[string]func(string) bool{
	"date":      func(v string) bool { _, err := time.Parse(time.DateOnly, v); return err == nil },
	"date-time": func(v string) bool { _, err := time.Parse(time.RFC3339Nano, v); return err == nil },
	"uuid":      regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString,
	"uri":       func(v string) bool { return strings.Contains(v, ":") },
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// resolve follows $ref to the schema it names.
func (s *schemaCheck) resolve(schema map[string]any) map[string]any {
	for {
		ref, ok := schema["$ref"].(string)
		if !ok {
			return schema
		}
		r, found := pointer(s.doc, strings.TrimPrefix(ref, "#"))
		if !found {
			s.fail(ref, "unresolved $ref")
			return map[string]any{}
		}
		schema = r.(map[string]any)
	}
}

// allowed lists the properties a schema (through $ref and allOf) names.
func (s *schemaCheck) allowed(schema map[string]any) map[string]bool {
	schema = s.resolve(schema)
	names := map[string]bool{}
	props, _ := schema["properties"].(map[string]any)
	for k := range props {
		names[k] = true
	}
	for _, sub := range asList(schema["allOf"]) {
		for k := range s.allowed(sub.(map[string]any)) {
			names[k] = true
		}
	}
	return names
}

func asList(v any) []any { l, _ := v.([]any); return l }

func (s *schemaCheck) check(schema map[string]any, v any, at string, closed bool) {
	schema = s.resolve(schema)
	for _, sub := range asList(schema["allOf"]) {
		s.check(sub.(map[string]any), v, at, false)
	}
	if ty, ok := schema["type"]; ok {
		got := jsonType(v)
		types := []string{}
		if one, ok := ty.(string); ok {
			types = append(types, one)
		}
		for _, x := range asList(ty) {
			types = append(types, x.(string))
		}
		if !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			s.fail(at, "%s, want %v", got, types)
			return
		}
	}
	if enum := asList(schema["enum"]); enum != nil && !slices.Contains(enum, v) {
		s.fail(at, "%v is not one of %v", v, enum)
	}
	switch x := v.(type) {
	case string:
		n := len([]rune(x))
		if m, ok := schema["minLength"].(float64); ok && n < int(m) {
			s.fail(at, "%d characters, at least %v", n, m)
		}
		if m, ok := schema["maxLength"].(float64); ok && n > int(m) {
			s.fail(at, "%d characters, at most %v", n, m)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			s.fail(at, "%q does not match %s", x, p)
		}
		if f, ok := schema["format"].(string); ok && formats[f] != nil && !formats[f](x) {
			s.fail(at, "%q is not a %s", x, f)
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			s.fail(at, "%v below %v", x, m)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, y := range x {
				s.check(items, y, fmt.Sprintf("%s[%d]", at, i), true)
			}
		}
	case map[string]any:
		for _, r := range asList(schema["required"]) {
			if _, ok := x[r.(string)]; !ok {
				s.fail(at, "required %q missing", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for k, y := range x {
			if p, ok := props[k].(map[string]any); ok {
				s.check(p, y, at+"."+k, true)
			}
		}
		if closed && (props != nil || schema["allOf"] != nil) {
			names := s.allowed(schema)
			for k := range x {
				if !names[k] {
					s.fail(at, "property %q is not in the document", k)
				}
			}
		}
	}
}

// TestOpenAPIDescribesRealResponses sends real requests and checks that
// each answer's status is documented for its path, its media type is the
// documented one, and its body fits the schema documented for that status.
func TestOpenAPIDescribesRealResponses(t *testing.T) {
	env := servertest.Start(t)
	doc := openapiDoc(t)
	seen := map[string]bool{}
	expect := func(method, path string, r servertest.Response, want int) servertest.Response {
		t.Helper()
		if r.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %.300s", method, path, r.StatusCode, want, r.Body)
		}
		op, ok := pointer(doc, "/paths/"+strings.ReplaceAll(path, "/", "~1")+"/"+strings.ToLower(method))
		if !ok {
			t.Fatalf("%s %s is not in openapi.json", method, path)
		}
		res, ok := op.(map[string]any)["responses"].(map[string]any)[strconv.Itoa(want)].(map[string]any)
		if !ok {
			t.Errorf("%s %s answered %d, which openapi.json does not list", method, path, want)
			return r
		}
		sc := &schemaCheck{doc: doc}
		res = sc.resolve(res)
		seen[fmt.Sprintf("%s %s %d", method, path, want)] = true
		content, _ := res["content"].(map[string]any)
		if content == nil {
			if len(r.Body) != 0 {
				t.Errorf("%s %s %d: body %.100q where openapi.json documents none", method, path, want, r.Body)
			}
			return r
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		media, ok := content[mt].(map[string]any)
		if !ok {
			t.Errorf("%s %s %d: Content-Type %q, openapi.json documents %v", method, path, want, mt, keys(content))
			return r
		}
		var body any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Errorf("%s %s %d: %v", method, path, want, err)
			return r
		}
		sc.check(media["schema"].(map[string]any), body, "body", true)
		for _, e := range sc.errs {
			t.Errorf("%s %s %d: %s", method, path, want, e)
		}
		return r
	}
	get := func(path string, want int, header ...string) servertest.Response {
		t.Helper()
		return expect("GET", strings.SplitN(path, "?", 2)[0], env.Get(t, path, header...), want)
	}
	post := func(path string, body any, want int, header ...string) servertest.Response {
		t.Helper()
		return expect("POST", path, env.PostJSON(t, path, body, header...), want)
	}

	get("/api/v1/openapi.json", 200)
	get("/api/v1/categories", 200)
	get("/api/v1/categories?lang=ro", 200)
	get("/api/v1/municipalities", 200)
	get("/api/v1/push/key", 200)

	rep := report("De bank sloot mijn rekening zonder reden")
	rep["id"] = "0b7c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"
	rep["happened_on"] = "2026-01-05"
	rep["setting"] = "window"
	var c created
	post("/api/v1/reports", rep, 201).JSON(t, &c)
	post("/api/v1/reports", rep, 200)
	other := report("Iets anders")
	other["id"] = rep["id"]
	post("/api/v1/reports", other, 409)
	post("/api/v1/reports", map[string]any{"kind": "lawsuit"}, 422)
	post("/api/v1/reports", `{"kind":`, 400)
	post("/api/v1/reports", rep, 415, "Content-Type", "text/plain")
	post("/api/v1/reports", map[string]any{"description": strings.Repeat("a", api.MaxBody)}, 413)

	post("/api/v1/status", map[string]string{"receipt": c.Receipt}, 200)
	post("/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": "Ik heb nog een brief"}, 201)
	post("/api/v1/status", map[string]string{"receipt": c.Receipt}, 200)
	post("/api/v1/status/messages", map[string]string{"receipt": c.Receipt, "body": " "}, 422)
	post("/api/v1/status", map[string]string{"receipt": c.Receipt[:15]}, 422)
	post("/api/v1/status", `[`, 400)
	post("/api/v1/status/messages", map[string]string{"receipt": cases.WithCheckDigit("000000000081000"), "body": "Hallo"}, 404)
	for i := range 9 {
		post("/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit(fmt.Sprintf("%015d", 81001+i))}, 404)
	}
	post("/api/v1/status", map[string]string{"receipt": cases.WithCheckDigit("000000000082000")}, 429)

	post("/api/v1/outreach/devices", map[string]string{"email": "nobody@desk.test", "password": "not her password", "code": "123456"}, 401)
	post("/api/v1/outreach/sync", map[string]any{"reports": []any{}}, 401)
	expect("DELETE", "/api/v1/outreach/device", del(t, env, "/api/v1/outreach/device"), 401)
	post("/api/v1/push/subscriptions", map[string]string{"endpoint": "https://push.example/x"}, 401)
	get("/api/v1/outreach/desk-key", 401)

	// A tablet registered by an outreach worker: its token syncs, reads
	// the desk's key and withdraws it.
	worker := stafftest.SignIn(t, env, "outreach")
	var dev struct{ Token string }
	post("/api/v1/outreach/devices", map[string]string{"email": worker.User.Email, "password": stafftest.Password,
		"code": worker.Recovery[0], "label": "Tablet 1"}, 201).JSON(t, &dev)
	auth := []string{"Authorization", "Bearer " + dev.Token}
	expect("GET", "/api/v1/outreach/desk-key", env.Get(t, "/api/v1/outreach/desk-key", auth...), 200)
	post("/api/v1/outreach/sync", map[string]any{"rounds": []any{}, "reports": []any{}, "cards": []any{}}, 200, auth...)
	expect("DELETE", "/api/v1/outreach/device", del(t, env, "/api/v1/outreach/device", auth...), 204)

	// A desk with a report limit of one per address answers the second 429.
	limited := servertest.StartWith(t, servertest.Options{Env: map[string]string{"GEHOORD_REPORTS_PER_ADDRESS": "1"}})
	for i, want := range []int{201, 429} {
		expect("POST", "/api/v1/reports", limited.PostJSON(t, "/api/v1/reports", report(fmt.Sprintf("Melding %d", i))), want)
	}
	for _, s := range []string{"200", "201", "204", "400", "401", "404", "409", "413", "415", "422", "429"} {
		found := false
		for k := range seen {
			found = found || strings.HasSuffix(k, " "+s)
		}
		if !found {
			t.Errorf("no response %s checked", s)
		}
	}
}

// del sends DELETE path with the headers given.
func del(t *testing.T, env *servertest.Env, path string, header ...string) servertest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, env.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := env.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Response{Response: res, Body: b}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The schema check itself finds what it must: a wrong type, a missing
// required field, a value outside its enum, a property the document does
// not name, a bad format, through $ref and allOf.
func TestSchemaCheckFindsMismatches(t *testing.T) {
	sc := &schemaCheck{doc: openapiDoc(t)}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	for _, c := range []struct {
		schema string
		body   string
		errs   int
	}{
		{"Status", `{"reference":"GH-2026-0001","state":"received","messages":[{"from":"desk","body":"Hallo","at":"2026-01-05T10:00:00Z"}]}`, 0},
		{"Status", `{"reference":1,"state":"received","messages":[]}`, 1},
		{"Status", `{"state":"received","messages":[]}`, 1},
		{"Status", `{"reference":"x","state":"lost","messages":[]}`, 1},
		{"Status", `{"reference":"x","state":"received","messages":[],"receipt":"1234"}`, 1},
		{"Status", `{"reference":"x","state":"received","messages":[{"from":"desk","at":"yesterday"}]}`, 1},
		{"Problem", `{"type":"about:blank","title":"Not Found","status":404.5}`, 1},
		{"OutreachReport", `{"kind":"complaint","description":"x","wish":"heard","identity":{"mode":"anonymous"},"language":"nl"}`, 1},
		{"OutreachReport", `{"id":"0b7c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e","round":"r","kind":"complaint","description":"x","wish":"heard","identity":{"mode":"anonymous"},"language":"nl","extra":1}`, 1},
	} {
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		sc.errs = nil
		sc.check(ref(c.schema), v, "body", true)
		if len(sc.errs) != c.errs {
			t.Errorf("%s %s: %d errors %v, want %d", c.schema, c.body, len(sc.errs), sc.errs, c.errs)
		}
	}
}
