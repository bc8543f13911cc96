package appui

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

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

// The two causes of a 403 at registration, told apart by the problem's
// type so the app can tell her which one it is (pwa/js/main.js). Both come
// only after a right password, so they tell a stranger nothing.
const (
	ProblemNoSecondFactor = "urn:gehoord:problem:second-factor-not-set-up"
	ProblemRoleNotAllowed = "urn:gehoord:problem:role-not-allowed"
)

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
	if _, err := h.Devices.Authenticate(c.UserContext(), bearer(c)); errors.Is(err, outreach.ErrUnauthorized) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="gehoord"`)
		return problem.New(c, fiber.StatusUnauthorized, "this device is not registered or was revoked")
	} else if err != nil {
		return err
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
	if len(c.Body()) > maxRegisterBody {
		return problem.New(c, fiber.StatusRequestEntityTooLarge, "the request is too large")
	}
	if !isJSON(c) {
		return problem.New(c, fiber.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
	}
	var req registerRequest
	if err := c.App().Config().JSONDecoder(c.Body(), &req); err != nil {
		return problem.New(c, fiber.StatusBadRequest, "the request is not valid JSON")
	}
	dev, token, err := h.Devices.RegisterAfter(c.UserContext(), req.Email, req.Password, req.Code, req.Label, h.ClientKey(c), req.PreviousToken)
	switch {
	case errors.Is(err, outreach.ErrRateLimited):
		return problem.New(c, fiber.StatusTooManyRequests, "too many failed sign-ins; wait 15 minutes")
	case errors.Is(err, outreach.ErrSecondFactorSetup):
		return problem.Write(c, problem.Problem{Type: ProblemNoSecondFactor, Status: fiber.StatusForbidden,
			Detail: "set up the second factor in the staff pages first"})
	case errors.Is(err, outreach.ErrForbidden):
		return problem.Write(c, problem.Problem{Type: ProblemRoleNotAllowed, Status: fiber.StatusForbidden,
			Detail: "this role may not register outreach tablets"})
	case errors.Is(err, outreach.ErrSignIn):
		return problem.New(c, fiber.StatusUnauthorized, "wrong e-mail address, password or code")
	case err != nil:
		return err
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
	if errors.Is(err, outreach.ErrUnauthorized) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="gehoord"`)
		return problem.New(c, fiber.StatusUnauthorized, "this device is not registered")
	}
	if err != nil {
		return err
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
	if errors.Is(err, outreach.ErrUnauthorized) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="gehoord"`)
		return problem.New(c, fiber.StatusUnauthorized, "this device is not registered or was revoked")
	}
	if err != nil {
		return err
	}
	if len(c.Body()) > maxSyncBody {
		return problem.New(c, fiber.StatusRequestEntityTooLarge, "the batch is too large; send fewer items at a time")
	}
	if !isJSON(c) {
		return problem.New(c, fiber.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
	}
	var req outreach.SyncRequest
	if err := c.App().Config().JSONDecoder(c.Body(), &req); err != nil {
		return problem.New(c, fiber.StatusBadRequest, "the request is not valid JSON")
	}
	resp, err := h.Syncer.Sync(c.UserContext(), dev, req)
	if errors.Is(err, outreach.ErrTooMany) {
		return problem.New(c, fiber.StatusRequestEntityTooLarge, "at most 500 items per request")
	}
	if err != nil {
		// Nothing is lost: the tablet keeps every item and tries again;
		// what was stored already comes back as duplicate.
		h.Log.Error("outreach sync failed", "device", dev.ID, "err", err)
		c.Set(fiber.HeaderRetryAfter, "30")
		return problem.New(c, fiber.StatusServiceUnavailable, "the server could not take the batch now; try again later")
	}
	if k := h.deskKeyBody(); k != nil {
		resp.DeskKid = k.Kid
	}
	return c.JSON(resp)
}
