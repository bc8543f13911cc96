package public

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// MaxFormBody is the largest body a public page reads. The API takes
// 64 KiB of JSON; a form is percent-encoded, which makes a Chinese or Thai
// character 9 bytes, so the longest valid report (10,000 characters and
// four short fields) is about 100 KB in those languages.
const MaxFormBody = 128 << 10

// limitBody refuses larger bodies before any field is parsed.
func (h *Handler) limitBody(c *fiber.Ctx) error {
	if len(c.Request().Body()) <= MaxFormBody {
		return c.Next()
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.View.Render(c, fiber.StatusRequestEntityTooLarge, "public/error", &view.Data{Lang: lang.Of(c),
		Page: struct{ Title, Text string }{"error.too_large_title", "error.too_large"}})
}

func (h *Handler) noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// admit runs form posts through the Work gate. When it stays full, her
// report comes back to her with what she typed; other posts get the busy
// page (503 with Retry-After).
func (h *Handler) admit(c *fiber.Ctx) error {
	if h.Work == nil || c.Method() != fiber.MethodPost {
		return c.Next()
	}
	release, err := h.Work.Acquire(c.UserContext())
	if errors.Is(err, gate.ErrBusy) && strings.HasSuffix(c.Path(), "/report") {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(gate.RetryAfter))
		return h.formAgain(c, fiber.StatusServiceUnavailable, "form.busy")
	}
	if err != nil {
		return err
	}
	defer release()
	return c.Next()
}
