package push

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
)

// Preference says which events a user is notified of.
type Preference string

// Preferences.
const (
	// PrefAll: every new case, plus what PrefAssigned gives.
	PrefAll Preference = "all"
	// PrefAssigned: replies and reopen requests on cases that are one's own
	// to handle, and the morning summary.
	PrefAssigned Preference = "assigned"
	// PrefOff: nothing.
	PrefOff Preference = "off"
)

// Preferences in the order the page offers them.
var Preferences = []Preference{PrefAll, PrefAssigned, PrefOff}

// Valid says whether p is a known preference.
func (p Preference) Valid() bool { return p == PrefAll || p == PrefAssigned || p == PrefOff }

// DefaultPreference is what a user has who never chose: coordinators hear
// of every new case (they triage), everyone else of their own cases.
func DefaultPreference(role string) Preference {
	if role == RoleCoordinator {
		return PrefAll
	}
	return PrefAssigned
}

type prefDoc struct {
	UserID    string     `bson:"_id"`
	Pref      Preference `bson:"pref"`
	UpdatedAt time.Time  `bson:"updated_at"`
}

// PreferenceOf returns the user's preference (the role's default if none).
func (s *Service) PreferenceOf(ctx context.Context, userID, role string) (Preference, error) {
	var d prefDoc
	err := s.st.C(collPrefs).FindOne(ctx, bson.M{"_id": userID}).Decode(&d)
	if err != nil && store.NotFound(err) != store.ErrNotFound {
		return "", fmt.Errorf("push: read preference: %w", err)
	}
	if err != nil || !d.Pref.Valid() { // none yet, or being created
		return DefaultPreference(role), nil
	}
	return d.Pref, nil
}

// SetPreference stores the user's choice.
func (s *Service) SetPreference(ctx context.Context, userID string, p Preference) error {
	if !p.Valid() || userID == "" {
		return ErrInvalid.OnField("preference")
	}
	err := s.st.Upsert(ctx, collPrefs, userID, bson.M{"$set": bson.M{"pref": p, "updated_at": s.now().UTC()}})
	if err != nil {
		return fmt.Errorf("push: store preference: %w", err)
	}
	return nil
}

func (s *Service) preferences(ctx context.Context) (map[string]Preference, error) {
	cur, err := s.st.C(collPrefs).Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("push: read preferences: %w", err)
	}
	var docs []prefDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("push: read preferences: %w", err)
	}
	m := make(map[string]Preference, len(docs))
	for _, d := range docs {
		if d.Pref.Valid() { // a document being created has no choice yet
			m[d.UserID] = d.Pref
		}
	}
	return m, nil
}
