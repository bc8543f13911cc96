package outreach

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/jsonin"
)

// CaseIntake feeds synced reports to the case service with channel
// outreach, the device and the round.
type CaseIntake struct {
	Cases *cases.Service
}

// SubmitAll decodes each report exactly as POST /api/v1/reports would,
// adds what only the server may set, and creates the cases together.
func (ci CaseIntake) SubmitAll(ctx context.Context, raws []json.RawMessage, dev Device) []IntakeMade {
	out := make([]IntakeMade, len(raws))
	var ins []cases.Input
	var at []int // ins[k] is the report raws[at[k]]
	for i, raw := range raws {
		in, err := ci.input(raw, dev)
		if err != nil {
			out[i].Err = err
			continue
		}
		ins, at = append(ins, in), append(at, i)
	}
	for k, m := range ci.Cases.CreateMany(ctx, ins, cases.ChannelOutreach) {
		i := at[k]
		switch {
		case errors.Is(m.Err, cases.ErrConflict):
			// Hers to fix (send it as a new report): a rejection on its id.
			out[i].Err = fault.InvalidField("id", "error.conflict")
		case m.Err != nil:
			out[i].Err = m.Err
		default:
			out[i].IntakeResult = IntakeResult{Reference: m.Result.Reference, Duplicate: m.Result.Duplicate}
		}
	}
	return out
}

// input is the case input of one report from a device.
func (ci CaseIntake) input(raw json.RawMessage, dev Device) (cases.Input, error) {
	var in cases.Input
	if err := jsonin.Decode(raw, &in); err != nil {
		return in, itemFault(err)
	}
	var extra struct {
		Round      string `json:"round"`
		RecordedAt string `json:"recorded_at"`
		Batch      string `json:"batch"`
	}
	_ = json.Unmarshal(raw, &extra)
	if extra.Round != "" && !uuidRe.MatchString(extra.Round) {
		return in, fault.InvalidField("round", "app.error.id")
	}
	in.Device, in.Round = dev.ID, extra.Round
	in.RecordedAt = RecordedAt(extra.RecordedAt, now())
	in.Batch = strings.ToUpper(strings.TrimSpace(extra.Batch))
	return in, nil
}

// Plausible recorded-at times: a tablet's clock may run a little fast, and
// a tablet may stay offline for a long round, but not for weeks.
const (
	RecordedSkew   = 5 * time.Minute
	RecordedMaxAge = 14 * 24 * time.Hour
)

// RecordedAt is the time the tablet says the report was saved, when it is
// plausible; otherwise zero, and the case is received when it arrives (a
// wrong clock must never cost her the report).
func RecordedAt(s string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.After(now.Add(RecordedSkew)) || t.Before(now.Add(-RecordedMaxAge)) {
		return time.Time{}
	}
	if t.After(now) {
		return now
	}
	return t.UTC()
}
