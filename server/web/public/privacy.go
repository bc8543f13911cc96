package public

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

func (h *Handler) privacy(c *fiber.Ctx) error {
	return h.View.Shared(c, "public/privacy", &view.Data{Lang: lang.Of(c), Page: h.privacyPage(lang.Of(c))}, nil)
}

type privacyPage struct{ Period, ContentPeriod string }

func (h *Handler) privacyPage(lang string) privacyPage {
	content := h.ContentRetentionDays
	if content <= 0 {
		content = max(730, h.RetentionDays) // the configuration's default
	}
	return privacyPage{Period: h.period(lang), ContentPeriod: h.periodOf(lang, content)}
}

// period says the retention in words: whole years or months where it is
// one, days otherwise.
func (h *Handler) period(lang string) string {
	d := h.RetentionDays
	if d <= 0 {
		d = 365 // the configuration's default
	}
	return h.periodOf(lang, d)
}

func (h *Handler) periodOf(lang string, d int) string {
	switch {
	case d%365 == 0:
		return h.Catalog.N(lang, "privacy.period_years", d/365)
	case d%30 == 0:
		return h.Catalog.N(lang, "privacy.period_months", d/30)
	}
	return h.Catalog.N(lang, "privacy.period_days", d)
}
