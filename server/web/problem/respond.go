package problem

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// statuses is the one table from a fault's code to an HTTP status.
var statuses = [...]int{
	fault.Internal:     fiber.StatusInternalServerError,
	fault.Malformed:    fiber.StatusBadRequest,
	fault.Invalid:      fiber.StatusUnprocessableEntity,
	fault.Unauthorized: fiber.StatusUnauthorized,
	fault.Forbidden:    fiber.StatusForbidden,
	fault.NotFound:     fiber.StatusNotFound,
	fault.Conflict:     fiber.StatusConflict,
	fault.TooLarge:     fiber.StatusRequestEntityTooLarge,
	fault.MediaType:    fiber.StatusUnsupportedMediaType,
	fault.TooMany:      fiber.StatusTooManyRequests,
	fault.Unavailable:  fiber.StatusServiceUnavailable,
}

// StoreRetryAfter is how long to wait when the database cannot write (a
// full disk, a write error): long enough for an operator to act.
const StoreRetryAfter = 30 * time.Second

// Errors the server raises itself, not the domain.
var (
	// ErrBusy: too much at once (slow hashes, anonymous posts); nothing
	// failed, try again soon.
	ErrBusy = &fault.Error{Code: fault.Unavailable, Key: "error.busy", RetryAfter: gate.RetryAfter * time.Second}
	// ErrStoreDown: the database cannot take it now; nothing she did wrong.
	ErrStoreDown = &fault.Error{Code: fault.Unavailable, Key: "error.unavailable", RetryAfter: StoreRetryAfter}
	// ErrInternal: anything unclassified; never explained.
	ErrInternal = &fault.Error{Code: fault.Internal, Key: "error.internal"}
)

// Classify is the fault an error is answered with, and its status. A
// fiber.Error keeps its own status; an error the domain did not classify
// is the server's failure (and is logged by the handler, never shown).
func Classify(err error) (*fault.Error, int) {
	var fe *fiber.Error
	switch f, ok := fault.As(err); {
	case ok:
		return f, Status(f.Code)
	case errors.Is(err, gate.ErrBusy), errors.Is(err, gate.ErrGone):
		return ErrBusy, Status(ErrBusy.Code)
	case store.Unavailable(err):
		return ErrStoreDown, Status(ErrStoreDown.Code)
	case errors.As(err, &fe):
		return fromStatus(fe.Code), fe.Code
	}
	return ErrInternal, fiber.StatusInternalServerError
}

// Status is the HTTP status of a code.
func Status(c fault.Code) int {
	if int(c) < len(statuses) {
		return statuses[c]
	}
	return fiber.StatusInternalServerError
}

// fromStatus gives a Fiber error (a 404 for an unknown route, a 413 from
// the body limit) the page and message of its status.
func fromStatus(status int) *fault.Error {
	for c, s := range statuses {
		if s == status && fault.Code(c) != fault.Internal {
			return &fault.Error{Code: fault.Code(c), Key: pages[status][1]}
		}
	}
	return ErrInternal
}

// pages are the title and text keys of a whole-page error by status.
var pages = map[int][2]string{
	fiber.StatusNotFound:              {"error.not_found_title", "error.not_found"},
	fiber.StatusForbidden:             {"error.forbidden_title", "error.forbidden"},
	fiber.StatusTooManyRequests:       {"error.too_many_title", "error.too_many"},
	fiber.StatusRequestEntityTooLarge: {"error.too_large_title", "error.too_large"},
}

// For is err as problem details in lang: the message and every field's
// message translated now, at the last moment.
func For(cat *i18n.Catalog, lang string, err error) Problem {
	f, status := Classify(err)
	p := Problem{Status: status}
	if status < 500 || f.Code == fault.Unavailable {
		if f.Key != "" {
			p.Detail = cat.T(lang, f.Key, f.Args...)
		}
		for _, fe := range f.Fields {
			p.Errors = append(p.Errors, FieldError{Field: fe.Field, Detail: cat.T(lang, fe.Key, fe.Args...)})
		}
	}
	return p
}

// Respond writes err as problem details in lang, with Retry-After when
// the fault gives one.
func Respond(c *fiber.Ctx, cat *i18n.Catalog, lang string, err error) error {
	retryAfter(c, err)
	return Write(c, For(cat, lang, err))
}

func retryAfter(c *fiber.Ctx, err error) {
	if f, _ := Classify(err); f.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
}

// Handler is the one place where an error a handler returned becomes a
// response: problem details under /api/, otherwise an error page in the
// reader's language (a staff page for signed-in staff).
type Handler struct {
	Catalog *i18n.Catalog
	View    *view.Renderer
	Log     *slog.Logger
	// PageLang is the public page language of a request.
	PageLang func(c *fiber.Ctx) string
	// APILang is the language of an API answer (Accept-Language).
	APILang func(c *fiber.Ctx) string
	// Staff says whether a signed-in staff member asked, and in which
	// language their pages are.
	Staff func(c *fiber.Ctx) (lang string, ok bool)
	// StaffLanguages are the languages of the staff pages' switch.
	StaffLanguages []string
}

// Handle is a fiber.ErrorHandler.
func (h *Handler) Handle(c *fiber.Ctx, err error) error {
	f, status := Classify(err)
	if status >= 500 && f != ErrBusy {
		// Route pattern only: the path and body may hold personal data.
		h.Log.Error("request failed", "route", lang.Route(c), "method", c.Method(), "err", err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	retryAfter(c, err)
	if strings.HasPrefix(c.Path(), "/api/") {
		return Write(c, For(h.Catalog, h.APILang(c), err))
	}
	page, ok := pages[status]
	switch {
	case f == ErrBusy:
		page = [2]string{"error.busy_title", "error.busy"}
	case f == ErrStoreDown:
		page = [2]string{"error.unavailable_title", "error.unavailable"}
	case !ok:
		page = [2]string{"error.internal_title", "error.internal"}
	}
	if h.View == nil {
		return c.Status(status).SendString(fmt.Sprint(status))
	}
	text := struct{ Title, Text string }{page[0], page[1]}
	if lang, ok := h.Staff(c); ok {
		// Staff stay in their own pages, in their own language.
		return h.View.Render(c, status, "staff/error", &view.Data{Lang: lang, Languages: h.StaffLanguages, Page: text})
	}
	return h.View.Render(c, status, "public/error", &view.Data{Lang: h.PageLang(c), Page: text})
}
