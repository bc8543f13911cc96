package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/web/problem"
)

func TestEveryCodeHasOneStatus(t *testing.T) {
	want := map[fault.Code]int{fault.Internal: 500, fault.Malformed: 400, fault.Invalid: 422, fault.Unauthorized: 401,
		fault.Forbidden: 403, fault.NotFound: 404, fault.Conflict: 409, fault.TooLarge: 413, fault.MediaType: 415,
		fault.TooMany: 429, fault.Unavailable: 503}
	for c := fault.Internal; c <= fault.Unavailable; c++ {
		if got := problem.Status(c); got != want[c] {
			t.Errorf("%v: status %d, want %d", c, got, want[c])
		}
	}
}

func TestClassify(t *testing.T) {
	for name, tc := range map[string]struct {
		err    error
		status int
		key    string
	}{
		"fault":           {fmt.Errorf("ctx: %w", fault.New(fault.Conflict, "error.conflict", "x")), 409, "error.conflict"},
		"busy":            {fmt.Errorf("hash: %w", gate.ErrBusy), 503, "error.busy"},
		"client gone":     {gate.ErrGone, 503, "error.busy"},
		"store down":      {fmt.Errorf("save: %w", store.ErrUnavailable), 503, "error.unavailable"},
		"fiber not found": {fiber.ErrNotFound, 404, "error.not_found"},
		"unclassified":    {errors.New("boom"), 500, "error.internal"},
	} {
		f, status := problem.Classify(tc.err)
		if status != tc.status || f.Key != tc.key {
			t.Errorf("%s: %d %q, want %d %q", name, status, f.Key, tc.status, tc.key)
		}
	}
}

// The handler answers an API request with translated problem details and
// Retry-After, and never shows what an unclassified error says.
func TestHandlerTranslatesAtTheLastMoment(t *testing.T) {
	cat := i18n.Default()
	h := &problem.Handler{Catalog: cat, Log: slog.New(slog.DiscardHandler),
		APILang:  func(c *fiber.Ctx) string { return c.Get("Accept-Language") },
		PageLang: func(*fiber.Ctx) string { return "nl" },
		Staff:    func(*fiber.Ctx) (string, bool) { return "", false }}
	app := fiber.New(fiber.Config{ErrorHandler: h.Handle})
	app.Post("/api/invalid", func(*fiber.Ctx) error {
		return fault.Validation(fault.Field{Field: "body", Key: "error.too_large"})
	})
	app.Post("/api/busy", func(*fiber.Ctx) error { return gate.ErrBusy })
	app.Post("/api/boom", func(*fiber.Ctx) error { return errors.New("secret detail") })

	for _, tc := range []struct {
		path, lang string
		status     int
		detail     string
		field      string
		retry      string
	}{
		{"/api/invalid", "nl", 422, cat.T("nl", "error.invalid"), cat.T("nl", "error.too_large"), ""},
		{"/api/invalid", "en", 422, cat.T("en", "error.invalid"), cat.T("en", "error.too_large"), ""},
		{"/api/busy", "en", 503, cat.T("en", "error.busy"), "", "2"},
		{"/api/boom", "en", 500, "", "", ""},
	} {
		req := httptest.NewRequest("POST", tc.path, nil)
		req.Header.Set("Accept-Language", tc.lang)
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		var p problem.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("%s: %v: %s", tc.path, err, b)
		}
		if res.StatusCode != tc.status || p.Status != tc.status || p.Detail != tc.detail ||
			res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("Retry-After") != tc.retry {
			t.Errorf("%s (%s): %d %s retry %q", tc.path, tc.lang, res.StatusCode, b, res.Header.Get("Retry-After"))
		}
		if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != "body" || p.Errors[0].Detail != tc.field) {
			t.Errorf("%s: errors %+v", tc.path, p.Errors)
		}
	}
}
