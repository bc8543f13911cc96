package appui

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/jsonin"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/web/problem"
)

// Body limits: registration is small; a sync batch of 500 full reports
// could in theory reach ~20 MB, the app sends at most 512 KB at a time.
const (
	maxRegisterBody = 64 << 10
	maxSyncBody     = 8 << 20
)

func isJSON(c *fiber.Ctx) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	return ct == "application/json"
}

// Faults of the app's API itself; the domain's come from package outreach.
var (
	errTooLarge = fault.New(fault.TooLarge, "error.too_large", "appui: body too large")
	errNotJSON  = fault.New(fault.MediaType, "error.media_type", "appui: body is not JSON")
	// errSyncDown: the batch could not be stored now. Nothing is lost: the
	// tablet keeps every item and tries again after Retry-After; what was
	// stored already comes back as duplicate.
	errSyncDown = func() *fault.Error {
		f := fault.New(fault.Unavailable, "error.unavailable", "appui: sync failed")
		f.RetryAfter = 30 * time.Second
		return f
	}()
)

// jsonBody reads a JSON request body of at most max bytes into v.
func jsonBody(c *fiber.Ctx, max int, v any) error {
	if len(c.Body()) > max {
		return errTooLarge
	}
	if !isJSON(c) {
		return errNotJSON
	}
	return jsonin.Decode(c.Body(), v)
}

// apiLang is the language of an answer of the app's API, as the app's
// error handler picks it (Accept-Language).
func apiLang(c *fiber.Ctx) string {
	return i18n.Match(c.Get(fiber.HeaderAcceptLanguage), cases.PublicLanguages)
}

// deviceErr asks an unknown or revoked device for its bearer token again.
func deviceErr(c *fiber.Ctx, err error) error {
	if fault.CodeOf(err) == fault.Unauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="gehoord"`)
	}
	return err
}

// The two causes of a 403 at registration, told apart by the problem's
// type so the app can tell her which one it is (pwa/js/main.js). Both come
// only after a right password, so they tell a stranger nothing.
const (
	ProblemNoSecondFactor = "urn:gehoord:problem:second-factor-not-set-up"
	ProblemRoleNotAllowed = "urn:gehoord:problem:role-not-allowed"
)

// problemTypes name the faults the app tells apart by the problem's type.
var problemTypes = []struct {
	err error
	typ string
}{
	{outreach.ErrSecondFactorSetup, ProblemNoSecondFactor},
	{outreach.ErrForbidden, ProblemRoleNotAllowed},
}

// registerErr answers a failed registration: the app's error handler, or
// for the faults the app tells apart, the same problem with its type.
func (h *Handler) registerErr(c *fiber.Ctx, err error) error {
	for _, t := range problemTypes {
		if errors.Is(err, t.err) {
			p := problem.For(h.Catalog, apiLang(c), err)
			p.Type = t.typ
			return problem.Write(c, p)
		}
	}
	return err
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
	Label    string `json:"label"`
	// PreviousToken: this tablet's earlier device token, when it signs in
	// again, so what it sealed before still opens.
	PreviousToken string `json:"previous_token"`
}

type registerResponse struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	// RevokeToken can only revoke this device; the app keeps it outside
	// its vault for "erase everything".
	RevokeToken string `json:"revoke_token"`
	Label       string `json:"label"`
	Created     string `json:"created"`
	// DeskKey is the key the tablet seals every item to.
	DeskKey *deskKeyResponse `json:"desk_key,omitempty"`
}

type deskKeyResponse struct {
	Kid string `json:"kid"`
	Key string `json:"key"` // uncompressed P-256 point, base64url
}

func (h *Handler) deskKeyBody() *deskKeyResponse {
	if h.DeskKey == nil {
		return nil
	}
	kid, key := h.DeskKey()
	return &deskKeyResponse{Kid: kid, Key: base64.RawURLEncoding.EncodeToString(key)}
}

// deskKey: GET /api/v1/outreach/desk-key, for an enrolled tablet (its
// bearer token), which seals every item to it. A tablet enrolled before
// sealing existed fetches it here.
func (h *Handler) deskKey(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if _, err := h.Devices.Authenticate(c.UserContext(), bearer(c)); err != nil {
		return deviceErr(c, err)
	}
	k := h.deskKeyBody()
	if k == nil {
		return fiber.ErrNotFound
	}
	return c.JSON(k)
}

// deviceRegister: POST /api/v1/outreach/devices. A staff member with the
// outreach, coordinator or admin role signs in with e-mail, password and
// code; the tablet gets its token, shown this once.
func (h *Handler) deviceRegister(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	var req registerRequest
	if err := jsonBody(c, maxRegisterBody, &req); err != nil {
		return err
	}
	dev, token, err := h.Devices.RegisterAfter(c.UserContext(), req.Email, req.Password, req.Code, req.Label, h.ClientKey(c), req.PreviousToken)
	if err != nil {
		return h.registerErr(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(registerResponse{
		ID: dev.ID, Token: token, RevokeToken: dev.RevokeToken, Label: dev.Label, Created: dev.Created.Format("2006-01-02T15:04:05Z07:00"),
		DeskKey: h.deskKeyBody(),
	})
}

func bearer(c *fiber.Ctx) string {
	a := c.Get(fiber.HeaderAuthorization)
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// deviceDelete: DELETE /api/v1/outreach/device with the device's token or
// its revoke-only token. "Erase everything" on the tablet calls it, so an
// erased tablet's registration is withdrawn at once when it is online.
func (h *Handler) deviceDelete(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	dev, err := h.Devices.RevokeByToken(c.UserContext(), bearer(c))
	if err != nil {
		return deviceErr(c, err)
	}
	if h.Audit != nil {
		h.Audit(c, dev.ID)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// syncPost: POST /api/v1/outreach/sync with a device's bearer token.
func (h *Handler) syncPost(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	dev, err := h.Devices.Authenticate(c.UserContext(), bearer(c))
	if err != nil {
		return deviceErr(c, err)
	}
	var req outreach.SyncRequest
	if err := jsonBody(c, maxSyncBody, &req); err != nil {
		return err
	}
	resp, err := h.Syncer.Sync(c.UserContext(), dev, req)
	if errors.Is(err, outreach.ErrTooMany) {
		return err
	}
	if err != nil {
		// Logged here with the device; answered here so the error
		// handler does not log it again.
		h.Log.Error("outreach sync failed", "device", dev.ID, "err", err)
		return problem.Respond(c, h.Catalog, apiLang(c), errSyncDown.Wrap(err))
	}
	if k := h.deskKeyBody(); k != nil {
		resp.DeskKid = k.Kid
	}
	return c.JSON(resp)
}
