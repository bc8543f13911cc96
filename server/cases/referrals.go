package cases

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// Referral follow-up: a referral names an organisation of the social map
// and goes proposed (the desk suggested it to her) → accepted (she agreed:
// her consent) → contacted (the desk put her in touch) → done; she may
// decline a proposal. Each open referral carries a reminder date, so a
// warm referral is not forgotten half-way.
const (
	ReferralProposed  = "proposed"
	ReferralAccepted  = "accepted"
	ReferralContacted = "contacted"
	ReferralDone      = "done"
	ReferralDeclined  = "declined"
)

// ReferralStates lists the follow-up states in order.
var ReferralStates = []string{ReferralProposed, ReferralAccepted, ReferralContacted, ReferralDone, ReferralDeclined}

// referralNext is the table of allowed follow-up steps.
var referralNext = map[string][]string{
	ReferralProposed:  {ReferralAccepted, ReferralDeclined},
	ReferralAccepted:  {ReferralContacted, ReferralDone},
	ReferralContacted: {ReferralDone},
}

// ReferralNext returns the steps a referral in state st can take.
func ReferralNext(st string) []string { return referralNext[st] }

// ReferralRemindAfter is the default time to the next follow-up.
const ReferralRemindAfter = 5 // working days

const collectionReferrals = "referrals"

// Errors of referrals.
var (
	// ErrReferralStep: that follow-up step is not allowed from the
	// referral's state (or it changed meanwhile).
	ErrReferralStep = fault.New(fault.Invalid, "staff.case.error.referral_step", "cases: this referral step is not allowed now")
)

// Referral is one referral of a case to an organisation of the social map.
type Referral struct {
	ID      string `bson:"_id"`
	CaseID  string `bson:"case_id"`
	OrgKey  string `bson:"org_key"`  // the social map's key
	OrgName string `bson:"org_name"` // its name when referred (entries may be renamed or retired)
	Status  string `bson:"status"`
	// RemindOn is the day to follow up (zero once done or declined).
	RemindOn  time.Time `bson:"remind_on"`
	CreatedBy string    `bson:"created_by"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedBy string    `bson:"updated_by"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// Open says whether the referral still needs follow-up.
func (r Referral) Open() bool { return r.Status != ReferralDone && r.Status != ReferralDeclined }

// ReferralIndexes are the indexes of referrals.
func ReferralIndexes() []store.Index {
	return []store.Index{
		{Collection: collectionReferrals, Keys: bson.D{{Key: "case_id", Value: 1}}, Name: "case"},
		{Collection: collectionReferrals, Keys: bson.D{{Key: "remind_on", Value: 1}}, Name: "remind_on"},
	}
}

// remindDefault is the end of the day ReferralRemindAfter working days on.
func (s *Service) remindDefault() time.Time {
	return workdays.AddWorkingDays(s.now(), ReferralRemindAfter)
}

// ProposeReferral records a referral of the case to an organisation of
// the social map (key and name as the map has them). With consent (she
// already agreed) it starts as accepted, else as proposed. remind is the
// follow-up day (zero: ReferralRemindAfter working days on).
func (s *Service) ProposeReferral(ctx context.Context, caseID, actor, orgKey, orgName string, consent bool, remind time.Time) (Referral, error) {
	if orgKey == "" || orgName == "" {
		return Referral{}, ErrEmpty
	}
	if _, err := s.Get(ctx, caseID); err != nil {
		return Referral{}, err
	}
	now := s.now().UTC()
	if remind.IsZero() {
		remind = s.remindDefault()
	}
	r := Referral{ID: uuid.NewString(), CaseID: caseID, OrgKey: orgKey, OrgName: orgName, Status: ReferralProposed,
		RemindOn: remind.UTC(), CreatedBy: actor, CreatedAt: now, UpdatedBy: actor, UpdatedAt: now}
	if consent {
		r.Status = ReferralAccepted
	}
	if err := s.st.Insert(ctx, collectionReferrals, r); err != nil {
		return Referral{}, fmt.Errorf("cases: referral: %w", err)
	}
	data := map[string]string{"org": orgKey, "referral": r.ID, "status": r.Status}
	if consent {
		data["consent"] = "yes"
	}
	if _, err := s.Append(ctx, Event{CaseID: caseID, Type: EventReferral, Actor: actor, Data: data}, orgName); err != nil {
		return Referral{}, err
	}
	return r, nil
}

// StepReferral moves a referral of the case one follow-up step (see
// ReferralNext), with a new reminder for an open referral (zero: the
// default). It returns the referral before the step.
func (s *Service) StepReferral(ctx context.Context, caseID, referralID, actor, to string, remind time.Time) (Referral, error) {
	var r Referral
	err := s.st.C(collectionReferrals).FindOne(ctx, bson.M{"_id": referralID, "case_id": caseID}).Decode(&r)
	if err != nil {
		return Referral{}, fmt.Errorf("cases: referral: %w", notFound(err))
	}
	if !slices.Contains(ReferralNext(r.Status), to) {
		return r, ErrReferralStep
	}
	now := s.now().UTC()
	set := bson.M{"status": to, "updated_by": actor, "updated_at": now, "remind_on": time.Time{}}
	if to != ReferralDone && to != ReferralDeclined {
		if remind.IsZero() {
			remind = s.remindDefault()
		}
		set["remind_on"] = remind.UTC()
	}
	ok, err := s.st.Update(ctx, collectionReferrals, bson.M{"_id": r.ID, "status": r.Status}, bson.M{"$set": set})
	if err != nil {
		return r, fmt.Errorf("cases: referral step: %w", err)
	}
	if !ok {
		return r, ErrReferralStep
	}
	if _, err := s.Append(ctx, Event{CaseID: caseID, Type: EventReferral, Actor: actor,
		Data: map[string]string{"org": r.OrgKey, "referral": r.ID, "status": to, "from": r.Status}}, r.OrgName); err != nil {
		return r, err
	}
	return r, nil
}

// Referrals returns a case's referrals, oldest first.
func (s *Service) Referrals(ctx context.Context, caseID string) ([]Referral, error) {
	return s.findReferrals(ctx, bson.M{"case_id": caseID}, bson.D{{Key: "created_at", Value: 1}})
}

// ReferralsDue returns the open referrals whose follow-up day is before
// until, earliest first: the reminders.
func (s *Service) ReferralsDue(ctx context.Context, until time.Time) ([]Referral, error) {
	return s.findReferrals(ctx, bson.M{"status": bson.M{"$in": bson.A{ReferralProposed, ReferralAccepted, ReferralContacted}},
		"remind_on": bson.M{"$lt": until}}, bson.D{{Key: "remind_on", Value: 1}})
}

// OpenReferrals returns every referral still needing follow-up, by
// follow-up day.
func (s *Service) OpenReferrals(ctx context.Context) ([]Referral, error) {
	return s.findReferrals(ctx, bson.M{"status": bson.M{"$in": bson.A{ReferralProposed, ReferralAccepted, ReferralContacted}}},
		bson.D{{Key: "remind_on", Value: 1}})
}

func (s *Service) findReferrals(ctx context.Context, q bson.M, sort bson.D) ([]Referral, error) {
	cur, err := s.st.C(collectionReferrals).Find(ctx, q, options.Find().SetSort(sort))
	if err != nil {
		return nil, fmt.Errorf("cases: referrals: %w", err)
	}
	out := []Referral{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("cases: referrals: %w", err)
	}
	return out, nil
}
