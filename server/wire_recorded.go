package server

import (
	"context"
	"errors"

	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/web/staffui"
)

// recordedBy tells the case page which outreach round and tablet recorded
// a case (staff only). A round or tablet the desk does not know (not synced
// yet, removed) is left empty, not an error.
func recordedBy(d *Deps) staffui.RecordedFunc {
	return func(ctx context.Context, device, round string) (staffui.RecordedBy, error) {
		var rb staffui.RecordedBy
		if round != "" && d.Rounds != nil {
			r, err := d.Rounds.GetRound(ctx, round)
			switch {
			case err == nil:
				rb.RoundDate, rb.Municipality, rb.Place, rb.Setting = r.Date, r.Municipality, r.Place, r.Setting
			case !errors.Is(err, outreach.ErrNotFound):
				return rb, err
			}
		}
		if device != "" && d.Devices != nil {
			dev, err := d.Devices.Get(ctx, device)
			switch {
			case err == nil:
				rb.DeviceLabel, rb.DeviceUser = dev.Label, dev.UserID
			case !errors.Is(err, outreach.ErrNotFound):
				return rb, err
			}
		}
		return rb, nil
	}
}
