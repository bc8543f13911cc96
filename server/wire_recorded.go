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
func recordedBy(rounds *outreach.Rounds, devices *outreach.Devices) staffui.RecordedFunc {
	return func(ctx context.Context, device, round string) (staffui.RecordedBy, error) {
		var rb staffui.RecordedBy
		if round != "" {
			r, err := rounds.GetRound(ctx, round)
			switch {
			case err == nil:
				rb.RoundDate, rb.Municipality, rb.Place, rb.Setting = r.Date, r.Municipality, r.Place, r.Setting
			case !errors.Is(err, outreach.ErrNotFound):
				return rb, err
			}
		}
		if device != "" {
			dev, err := devices.Get(ctx, device)
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
