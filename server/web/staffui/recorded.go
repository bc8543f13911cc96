package staffui

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
)

// RecordedBy is what the desk knows of the outreach round and the tablet
// that recorded a case. Empty fields are not known (yet): a round reaches
// the desk with the tablet's next sync, a tablet may have been removed.
type RecordedBy struct {
	RoundDate, Municipality, Place, Setting string // Setting: the "setting." key's suffix
	DeviceLabel, DeviceUser                 string // DeviceUser: a staff user id
}

// recordedLine is the case page's line on it, in the staff member's
// language. Only staff see it; the public pages never name a round or a
// tablet.
type recordedLine struct{ Round, Device string }

func (h *Handler) recorded(c *fiber.Ctx, k *cases.Case, names map[string]string) *recordedLine {
	if k.Device == "" && k.Round == "" {
		return nil
	}
	var rb RecordedBy
	if h.Recorded != nil {
		var err error
		if rb, err = h.Recorded(c.UserContext(), k.Device, k.Round); err != nil {
			// The case page must open even when this detail cannot be read.
			h.Log.Error("staff: read round and device of a case", "case", k.ID, "err", err)
		}
	}
	lang := h.lang(c)
	l := &recordedLine{Round: h.Catalog.T(lang, "staff.case.round_unknown"), Device: h.Catalog.T(lang, "staff.case.device_unknown")}
	if k.Round == "" {
		l.Round = h.Catalog.T(lang, "staff.case.round_none")
	}
	if rb.RoundDate != "" {
		parts := []string{rb.RoundDate}
		switch name := cases.MunicipalityName(rb.Municipality); {
		case name != "":
			parts = append(parts, name)
		case rb.Municipality != "" && rb.Municipality != cases.MunicipalityUnknown:
			parts = append(parts, rb.Municipality)
		}
		if rb.Place != "" {
			parts = append(parts, rb.Place)
		}
		if rb.Setting != "" {
			parts = append(parts, h.Catalog.T(lang, "setting."+rb.Setting))
		}
		l.Round = strings.Join(parts, " · ")
	}
	if rb.DeviceLabel != "" {
		l.Device = rb.DeviceLabel
		if n := names[rb.DeviceUser]; n != "" {
			l.Device += " (" + n + ")"
		}
	}
	return l
}

// RecordedFunc looks up the round and the tablet of a case.
type RecordedFunc func(ctx context.Context, device, round string) (RecordedBy, error)
