// Package api is the JSON API v1: categories, reports, status and replies.
// It shares validation with the HTML form through package cases.
package api

import (
	"embed"
	"errors"
	"log/slog"
	"mime"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/jsonin"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/web/problem"
)

//go:embed openapi.json
var openapiFS embed.FS

// OpenAPI returns the OpenAPI document of this API.
func OpenAPI() []byte {
	b, _ := openapiFS.ReadFile("openapi.json")
	return b
}

// MaxBody is the largest public request body.
const MaxBody = 64 << 10

// Handler serves the public API.
type Handler struct {
	Cases        *cases.Service
	Catalog      *i18n.Catalog
	StatusMisses *ratelimit.Limiter
	ClientKey    func(c *fiber.Ctx) string
	// TakeReport, when set, counts a new report against the per-client
	// limit and the desk's hourly ceiling.
	TakeReport func(c *fiber.Ctx) (*ratelimit.Attempt, error)
	Log        *slog.Logger
}

// Routes mounts the API under /api/v1.
func (h *Handler) Routes(r fiber.Router) {
	v1 := r.Group("/api/v1")
	v1.Get("/openapi.json", h.openapi)
	v1.Get("/categories", h.categories)
	v1.Get("/municipalities", h.municipalities)
	body := h.jsonBody(MaxBody)
	v1.Post("/reports", body, h.limitReports, h.createReport)
	v1.Post("/status", body, h.status)
	v1.Post("/status/messages", body, h.statusMessage)
}

func (h *Handler) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(OpenAPI())
}

// Faults of the body rules of the contract.
var (
	errTooLarge = fault.New(fault.TooLarge, "error.too_large", "api: body too large")
	errNotJSON  = fault.New(fault.MediaType, "error.media_type", "api: body is not JSON")
)

// jsonBody enforces the body rules of the contract: 413 over max bytes,
// 415 for anything but JSON, explained in the caller's language.
func (h *Handler) jsonBody(max int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > max {
			return h.respond(c, "", errTooLarge)
		}
		mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
		if err != nil || mt != fiber.MIMEApplicationJSON {
			return h.respond(c, "", errNotJSON)
		}
		return c.Next()
	}
}

// respond answers a fault as problem details in the request's language
// (given, else Accept-Language); any other error goes to the app's error
// handler, which logs it.
func (h *Handler) respond(c *fiber.Ctx, given string, err error) error {
	if _, ok := fault.As(err); !ok {
		return err
	}
	return problem.Respond(c, h.Catalog, h.lang(c, given), err)
}

type category struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	Label string `json:"label"`
}

func (h *Handler) lang(c *fiber.Ctx, given string) string {
	if given != "" && h.Catalog.HasLanguage(given) {
		return given
	}
	return i18n.Match(c.Get(fiber.HeaderAcceptLanguage), cases.PublicLanguages)
}

func (h *Handler) categories(c *fiber.Ctx) error {
	lang := h.lang(c, c.Query("lang"))
	out := make([]category, 0, len(cases.Categories))
	for _, cat := range cases.Categories {
		out = append(out, category{ID: cat.ID, Group: cat.Group, Label: h.Catalog.T(lang, "category."+cat.ID+".label")})
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderVary, "Accept-Language")
	return c.JSON(out)
}

type municipality struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Region string `json:"region"`
}

// municipalities lists what a report's "municipality" may name, in the
// forms' order; "unknown" and "online" are allowed besides.
func (h *Handler) municipalities(c *fiber.Ctx) error {
	ms := cases.MunicipalityChoices()
	out := make([]municipality, 0, len(ms))
	for _, m := range ms {
		_, region, _ := cases.ResolveMunicipality(m.Code)
		out = append(out, municipality{Code: m.Code, Name: m.Name, Region: region})
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(out)
}

// limitReports counts a report before it is made, so parallel ones cannot
// all pass; one that makes no new case (invalid, a repeat, an error) is
// taken back.
func (h *Handler) limitReports(c *fiber.Ctx) error {
	if h.TakeReport == nil {
		return c.Next()
	}
	a, err := h.TakeReport(c)
	if err != nil {
		return err
	}
	if !a.Allowed {
		c.Set(fiber.HeaderRetryAfter, retryAfter(a.Wait))
		return problem.Write(c, problem.Problem{Status: fiber.StatusTooManyRequests, Detail: h.Catalog.T(h.lang(c, ""), "error.reports_limited")})
	}
	err = c.Next()
	if err != nil || c.Response().StatusCode() != fiber.StatusCreated {
		if uerr := a.Undo(c.UserContext()); uerr != nil {
			h.Log.Error("api: take back report attempt", "err", uerr)
		}
	}
	return err
}

// retryAfter is a Retry-After value in whole seconds, rounded up.
func retryAfter(d time.Duration) string { return strconv.Itoa(int(d/time.Second) + 1) }

type reportResponse struct {
	Receipt   string `json:"receipt,omitempty"`
	Reference string `json:"reference"`
}

func (h *Handler) createReport(c *fiber.Ctx) error {
	var in cases.Input
	if err := jsonin.Decode(c.Body(), &in); err != nil {
		return h.respond(c, "", err)
	}
	ch := cases.ChannelAPI
	if in.Card != "" {
		ch = cases.ChannelCard
	}
	res, err := h.Cases.Create(c.UserContext(), in, ch)
	if err != nil {
		return h.respond(c, in.Language, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if res.Duplicate {
		return c.Status(fiber.StatusOK).JSON(reportResponse{Receipt: res.Receipt, Reference: res.Reference})
	}
	return c.Status(fiber.StatusCreated).JSON(reportResponse{Receipt: res.Receipt, Reference: res.Reference})
}

type statusRequest struct {
	Receipt string `json:"receipt"`
	Body    string `json:"body"`
	Lang    string `json:"lang"`
}

type statusResponse struct {
	Reference string          `json:"reference"`
	State     cases.State     `json:"state"`
	Messages  []cases.Message `json:"messages"`
}

// open finds the case of a receipt, with misses rate limited per client.
// A number whose digits cannot be a receipt (the check digit catches the
// typo) is answered 422 first: no hash, no miss counted. The lookup is
// counted before the receipt is hashed, so parallel guesses cannot all
// pass the limit; a lookup that finds her case is taken back.
func (h *Handler) open(c *fiber.Ctx, receipt string) (*cases.Case, error) {
	chk, err := h.Cases.CheckReceipt(c.UserContext(), receipt)
	if err != nil {
		return nil, err
	}
	if chk == cases.ReceiptTypo {
		return nil, h.checkDigits(c)
	}
	a, err := h.StatusMisses.Take(c.UserContext(), h.ClientKey(c))
	if err != nil {
		return nil, err
	}
	if !a.Allowed {
		c.Set(fiber.HeaderRetryAfter, retryAfter(a.Wait))
		return nil, problem.Write(c, problem.Problem{Status: fiber.StatusTooManyRequests, Detail: h.Catalog.T(h.lang(c, ""), "error.too_many")})
	}
	cs, err := h.Cases.ByReceipt(c.UserContext(), receipt)
	if errors.Is(err, cases.ErrNotFound) {
		if chk == cases.ReceiptMaybeOld {
			// Not an old receipt either: most likely a typo.
			return nil, h.checkDigits(c)
		}
		l := h.lang(c, "")
		return nil, problem.Write(c, problem.Problem{Status: fiber.StatusNotFound,
			Detail: h.Catalog.T(l, "status.not_found") + " " + h.Catalog.T(l, "status.not_found_outreach")})
	}
	if uerr := a.Undo(c.UserContext()); uerr != nil {
		h.Log.Error("api: take back status lookup", "err", uerr)
	}
	return cs, err
}

// checkDigits answers a number that cannot be a receipt.
func (h *Handler) checkDigits(c *fiber.Ctx) error {
	d := h.Catalog.T(h.lang(c, ""), "status.check_digits")
	return problem.Write(c, problem.Problem{Status: fiber.StatusUnprocessableEntity, Detail: d,
		Errors: []problem.FieldError{{Field: "receipt", Detail: d}}})
}

func (h *Handler) status(c *fiber.Ctx) error {
	var req statusRequest
	if err := jsonin.Decode(c.Body(), &req); err != nil {
		return h.respond(c, "", err)
	}
	cs, err := h.open(c, req.Receipt)
	if cs == nil {
		return err
	}
	msgs, err := h.Cases.Messages(c.UserContext(), cs.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(statusResponse{Reference: cs.Reference, State: cs.State, Messages: msgs})
}

func (h *Handler) statusMessage(c *fiber.Ctx) error {
	var req statusRequest
	if err := jsonin.Decode(c.Body(), &req); err != nil {
		return h.respond(c, "", err)
	}
	cs, err := h.open(c, req.Receipt)
	if cs == nil {
		return err
	}
	// The case is open already: replying by its id hashes the receipt no
	// second time.
	_, err = h.Cases.ReplyToCase(c.UserContext(), cs.ID, "", req.Body)
	if err != nil {
		return h.respond(c, cs.Language, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"reference": cs.Reference, "state": cs.State})
}
