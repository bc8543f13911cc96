package outreach

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gehoord/gehoord/server/cases"
)

// CaseIntake feeds synced reports to the case service with channel
// outreach, the device and the round.
type CaseIntake struct {
	Cases *cases.Service
}

// Submit decodes one report exactly as POST /api/v1/reports would, adds
// what only the server may set, and creates the case.
func (ci CaseIntake) Submit(ctx context.Context, raw json.RawMessage, dev Device) (IntakeResult, error) {
	var in cases.Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return IntakeResult{}, typeRejection(err)
	}
	var extra struct {
		Round string `json:"round"`
	}
	_ = json.Unmarshal(raw, &extra)
	if extra.Round != "" && !uuidRe.MatchString(extra.Round) {
		return IntakeResult{}, reject("round", "app.error.id")
	}
	in.Device, in.Round = dev.ID, extra.Round
	res, err := ci.Cases.Create(ctx, in, cases.ChannelOutreach)
	var ve *cases.ValidationError
	switch {
	case errors.As(err, &ve):
		rej := &Rejection{}
		for _, f := range ve.Fields {
			rej.Fields = append(rej.Fields, FieldError{Field: f.Field, Key: f.Key})
		}
		return IntakeResult{}, rej
	case errors.Is(err, cases.ErrConflict):
		return IntakeResult{}, reject("id", "error.conflict")
	case err != nil:
		return IntakeResult{}, err
	}
	return IntakeResult{Reference: res.Reference, Duplicate: res.Duplicate}, nil
}
