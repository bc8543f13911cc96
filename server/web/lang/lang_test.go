package lang_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/lang"
)

// app mounts one page per public language, with middleware, and records
// what reached them; routes added after it and a final 404 are what any
// other path must get to.
type app struct {
	*fiber.App
	mu      sync.Mutex
	reached []string // "middleware <path>", "page <path> <lang>"
}

func newApp(t *testing.T) *app {
	t.Helper()
	a := &app{App: fiber.New()}
	note := func(s string) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.reached = append(a.reached, s)
	}
	mw := func(c *fiber.Ctx) error {
		note("middleware " + c.Path())
		return c.Next()
	}
	page := func(c *fiber.Ctx) error {
		l := lang.Of(c)
		i := slices.Index(lang.Public, l)
		if i < 0 || unsafe.StringData(l) != unsafe.StringData(lang.Public[i]) {
			t.Errorf("%s: language %q is not the list's own string", c.Path(), l)
		}
		note("page " + c.Path() + " " + l)
		return c.SendString(l + " " + lang.Route(c))
	}
	lang.Mount(a, func(p lang.Router) {
		p.Get("/page", page)
		p.Post("/page", page)
	}, mw)
	// Later routes whose paths start like a language.
	a.Get("/english", func(c *fiber.Ctx) error { return c.SendString("later " + lang.Route(c)) })
	a.Get("/robots.txt", func(c *fiber.Ctx) error { return c.SendString("later " + lang.Route(c)) })
	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return a
}

func (a *app) do(t *testing.T, method, path string) (int, string, []string) {
	t.Helper()
	a.mu.Lock()
	a.reached = nil
	a.mu.Unlock()
	res, err := a.Test(httptest.NewRequest(method, path, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return res.StatusCode, string(b), slices.Clone(a.reached)
}

// TestEveryPublicLanguageReachesItsPages: each public language's page is
// answered in that language, after the middleware, and its route is
// named without the language.
func TestEveryPublicLanguageReachesItsPages(t *testing.T) {
	a := newApp(t)
	for _, l := range lang.Public {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			path := "/" + l + "/page"
			status, body, reached := a.do(t, method, path)
			if status != 200 || body != l+" /:lang/page" {
				t.Errorf("%s %s: %d %q, want 200 %q", method, path, status, body, l+" /:lang/page")
			}
			want := []string{"middleware " + path, "page " + path + " " + l}
			if !slices.Equal(reached, want) {
				t.Errorf("%s %s reached %q, want %q", method, path, reached, want)
			}
		}
	}
}

// TestNoOtherFirstSegmentReachesThePages: a first segment that is not a
// public language, in its own spelling, reaches neither the pages nor
// their middleware; later routes that merely start like a language are
// still reached.
func TestNoOtherFirstSegmentReachesThePages(t *testing.T) {
	a := newApp(t)
	for _, path := range []string{"/xx/page", "/staff/page", "/api/page", "/app/page", "/c/page", "/page",
		"/EN/page", "/Nl/page", "/enx/page", "/nl-be/page", "/en", "/en/", "/en/other", "/english/page"} {
		status, _, reached := a.do(t, http.MethodGet, path)
		if status != 404 || len(reached) > 0 {
			t.Errorf("GET %s: %d, reached %q; want 404 and nothing reached", path, status, reached)
		}
	}
	for _, path := range []string{"/english", "/robots.txt"} {
		status, body, reached := a.do(t, http.MethodGet, path)
		if status != 200 || body != "later "+path || len(reached) > 0 {
			t.Errorf("GET %s: %d %q, reached %q; want the later route only", path, status, body, reached)
		}
	}
}

func TestOfIsDutchWithoutALanguage(t *testing.T) {
	a := fiber.New()
	a.Get("/x", func(c *fiber.Ctx) error { return c.SendString(lang.Of(c)) })
	res, err := a.Test(httptest.NewRequest(http.MethodGet, "/x", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); string(b) != lang.Default || lang.Default != "nl" {
		t.Errorf("Of without a language = %q, want nl", b)
	}
}

func TestInPath(t *testing.T) {
	for path, want := range map[string]string{"/en": "en", "/en/": "en", "/zh/report/saved": "zh", "/EN/report": "",
		"/english": "", "/staff/x": "", "/": "", "": "", "/xx/report": ""} {
		got, ok := lang.InPath(path)
		if got != want || ok != (want != "") {
			t.Errorf("InPath(%q) = %q, %v; want %q", path, got, ok, want)
		}
		if ok && unsafe.StringData(got) != unsafe.StringData(lang.Public[slices.Index(lang.Public, got)]) {
			t.Errorf("InPath(%q) is not the list's own string", path)
		}
	}
}
