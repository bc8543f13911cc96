package outreach

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

const (
	roundsColl = "outreach_rounds"
	cardsColl  = "outreach_cards"
)

// Settings are the work settings a round or report may name (the API
// document lists the same values).
var Settings = map[string]bool{
	"window": true, "club": true, "escort": true, "home": true,
	"street": true, "massage": true, "online": true, "other": true,
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Round is one outreach visit: a date, a setting and a place. Cases and
// card counts made during the visit carry its id.
type Round struct {
	ID           string `json:"id" bson:"_id"`
	Date         string `json:"date" bson:"date"` // YYYY-MM-DD
	Setting      string `json:"setting" bson:"setting"`
	Municipality string `json:"municipality" bson:"municipality"`
	Place        string `json:"place,omitempty" bson:"place"` // e.g. the street of the window area
	Language     string `json:"language,omitempty" bson:"-"`  // the worker's controls: errors come back in it
	Device       string `json:"-" bson:"device"`
}

// CardCount is how many QR cards of a batch were handed out on a round.
type CardCount struct {
	ID           string `json:"id" bson:"_id"`
	Round        string `json:"round,omitempty" bson:"round"`
	Batch        string `json:"batch" bson:"batch"`
	Setting      string `json:"setting,omitempty" bson:"setting"`
	Municipality string `json:"municipality,omitempty" bson:"municipality"`
	Date         string `json:"date" bson:"date"`
	Count        int    `json:"count" bson:"count"`
	Language     string `json:"language,omitempty" bson:"-"`
	Device       string `json:"-" bson:"device"`
	Applied      bool   `json:"-" bson:"applied"`
}

// CardCounter adds handed-out cards to a batch's count; the cards package
// satisfies it. An Invalid fault says the batch is unknown or closed.
type CardCounter interface {
	// AddHandedOut counts n cards once per key, however often it is called.
	AddHandedOut(ctx context.Context, batch string, n int, day time.Time, key string) error
}

// Rounds stores rounds and card counts.
type Rounds struct {
	st    *store.Store
	seal  *seal.Sealer
	cards CardCounter
}

// NewRounds returns the round store; cards may be nil until the cards
// package is wired (counts are then kept here only).
func NewRounds(st *store.Store, sealer *seal.Sealer, cards CardCounter) *Rounds {
	return &Rounds{st: st, seal: sealer, cards: cards}
}

// roundDoc is a round as stored: the place is free text, so it is sealed
// like every free text (rounds stored before have it in LegacyPlace).
type roundDoc struct {
	ID           string `bson:"_id"`
	Date         string `bson:"date"`
	Setting      string `bson:"setting"`
	Municipality string `bson:"municipality"`
	PlaceSealed  []byte `bson:"place_sealed,omitempty"`
	LegacyPlace  string `bson:"place,omitempty"`
	Device       string `bson:"device"`
}

func placeCtx(id string) string { return "round:" + id + ":place" }

func (s *Rounds) toDoc(r Round) roundDoc {
	return roundDoc{ID: r.ID, Date: r.Date, Setting: r.Setting, Municipality: r.Municipality,
		PlaceSealed: s.seal.Seal(r.Place, placeCtx(r.ID)), Device: r.Device}
}

func (s *Rounds) fromDoc(d roundDoc) (Round, error) {
	place := d.LegacyPlace
	if d.PlaceSealed != nil {
		var err error
		if place, err = s.seal.Open(d.PlaceSealed, placeCtx(d.ID)); err != nil {
			return Round{}, fmt.Errorf("outreach: open round place: %w", err)
		}
	}
	return Round{ID: d.ID, Date: d.Date, Setting: d.Setting, Municipality: d.Municipality, Place: place, Device: d.Device}, nil
}

func checkDay(field, s string) (time.Time, *fault.Error) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fault.InvalidField(field, "app.error.date")
	}
	// A tablet's clock may be a day ahead across midnight and time zones.
	if d.After(now().Add(48 * time.Hour)) {
		return time.Time{}, fault.InvalidField(field, "app.error.date_future")
	}
	return d, nil
}

func checkText(field, s string, max int) *fault.Error {
	if utf8.RuneCountInString(s) > max {
		return fault.InvalidField(field, "app.error.too_long", "max", max)
	}
	return nil
}

func (r Round) validate() (Round, error) {
	r.Setting = strings.TrimSpace(r.Setting)
	// Coded like a case's municipality. Free text from an app of before
	// the list becomes unknown: a rejected round could not be corrected.
	r.Municipality, _ = cases.CodeMunicipality(r.Municipality)
	r.Place = strings.TrimSpace(r.Place)
	if !uuidRe.MatchString(r.ID) {
		return r, fault.InvalidField("id", "app.error.id")
	}
	if _, rej := checkDay("date", r.Date); rej != nil {
		return r, rej
	}
	if r.Setting != "" && !Settings[r.Setting] {
		return r, fault.InvalidField("setting", "app.error.setting")
	}
	if rej := checkText("place", r.Place, 200); rej != nil {
		return r, rej
	}
	return r, nil
}

// SaveRound stores a round once; a repeat answers duplicate=true.
func (s *Rounds) SaveRound(ctx context.Context, dev Device, r Round) (bool, error) {
	r, err := r.validate()
	if err != nil {
		return false, err
	}
	r.Device = dev.ID
	err = s.st.Insert(ctx, roundsColl, s.toDoc(r))
	if store.IsDuplicate(err) {
		old, err := s.GetRound(ctx, r.ID)
		if err != nil {
			return false, fmt.Errorf("outreach: read round: %w", err)
		}
		r.Language = ""
		if old != r {
			return false, fault.InvalidField("id", "app.error.conflict")
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("outreach: insert round: %w", err)
	}
	return false, nil
}

// GetRound returns one round.
func (s *Rounds) GetRound(ctx context.Context, id string) (Round, error) {
	var d roundDoc
	err := s.st.C(roundsColl).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if store.NotFound(err) == store.ErrNotFound {
		return Round{}, ErrNotFound
	}
	if err != nil {
		return Round{}, fmt.Errorf("outreach: get round: %w", err)
	}
	return s.fromDoc(d)
}

func (c CardCount) validate() (CardCount, time.Time, error) {
	c.Batch = strings.ToUpper(strings.TrimSpace(c.Batch))
	c.Setting = strings.TrimSpace(c.Setting)
	c.Municipality, _ = cases.CodeMunicipality(c.Municipality)
	if !uuidRe.MatchString(c.ID) {
		return c, time.Time{}, fault.InvalidField("id", "app.error.id")
	}
	if c.Round != "" && !uuidRe.MatchString(c.Round) {
		return c, time.Time{}, fault.InvalidField("round", "app.error.id")
	}
	if c.Batch == "" {
		return c, time.Time{}, fault.InvalidField("batch", "app.error.required")
	}
	if rej := checkText("batch", c.Batch, 40); rej != nil {
		return c, time.Time{}, rej
	}
	day, rej := checkDay("date", c.Date)
	if rej != nil {
		return c, time.Time{}, rej
	}
	if c.Count < 1 || c.Count > 10000 {
		return c, time.Time{}, fault.InvalidField("count", "app.error.count")
	}
	if c.Setting != "" && !Settings[c.Setting] {
		return c, time.Time{}, fault.InvalidField("setting", "app.error.setting")
	}
	return c, day, nil
}

// SaveCards records a card count once and adds it to the batch's total.
//
// The record is written first (applied=false), then the count is added to
// the batch under the record's id (the cards package counts one id once),
// then the record is marked applied. A crash or a concurrent resend at any
// step is repaired by the next send of the same id and never counts twice.
func (s *Rounds) SaveCards(ctx context.Context, dev Device, c CardCount) (bool, error) {
	c, day, err := c.validate()
	if err != nil {
		return false, err
	}
	c.Device = dev.ID
	c.Applied = false
	dup := false
	err = s.st.Insert(ctx, cardsColl, c)
	if store.IsDuplicate(err) {
		var old CardCount
		if err := s.st.C(cardsColl).FindOne(ctx, bson.D{{Key: "_id", Value: c.ID}}).Decode(&old); err != nil {
			return false, fmt.Errorf("outreach: read card count: %w", err)
		}
		applied := old.Applied
		old.Applied = false
		c.Language = ""
		if old != c {
			return false, fault.InvalidField("id", "app.error.conflict")
		}
		if applied {
			return true, nil
		}
		dup = true
	} else if err != nil {
		return false, fmt.Errorf("outreach: insert card count: %w", err)
	}
	if s.cards != nil {
		if err := s.cards.AddHandedOut(ctx, c.Batch, c.Count, day, c.ID); err != nil {
			if _, ok := rejected(err); ok {
				// Let the worker correct the batch code and resend the same id.
				if _, err := s.st.Delete(ctx, cardsColl, bson.D{{Key: "_id", Value: c.ID}, {Key: "applied", Value: false}}); err != nil {
					return false, fmt.Errorf("outreach: drop rejected card count: %w", err)
				}
			}
			return false, err
		}
	}
	if _, err := s.st.Update(ctx, cardsColl, bson.D{{Key: "_id", Value: c.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "applied", Value: true}}}}); err != nil {
		return false, fmt.Errorf("outreach: mark card count: %w", err)
	}
	return dup, nil
}

// CodeMunicipalities codes the free-text municipality of rounds and card
// counts stored before it was a choice, as cases.CodeMunicipality does (a
// text that is no municipality becomes unknown). Run at start; coded ones
// are left alone, so a second run changes nothing. Resent rounds and counts
// are coded the same way, so a resend still equals what is stored.
func (s *Rounds) CodeMunicipalities(ctx context.Context) (int, error) {
	n := 0
	for _, coll := range []string{roundsColl, cardsColl} {
		cur, err := s.st.C(coll).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "municipality", Value: 1}}))
		if err != nil {
			return n, fmt.Errorf("outreach: find municipalities: %w", err)
		}
		var list []struct {
			ID           string `bson:"_id"`
			Municipality string `bson:"municipality"`
		}
		if err := cur.All(ctx, &list); err != nil {
			return n, fmt.Errorf("outreach: find municipalities: %w", err)
		}
		for _, d := range list {
			code, _ := cases.CodeMunicipality(d.Municipality)
			if code == d.Municipality {
				continue
			}
			ok, err := s.st.Update(ctx, coll, bson.D{{Key: "_id", Value: d.ID}, {Key: "municipality", Value: d.Municipality}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "municipality", Value: code}}}})
			if err != nil {
				return n, fmt.Errorf("outreach: code municipality: %w", err)
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}
