package socialmap

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gehoord/gehoord/server/fault"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
)

// Collection is where organisations are stored.
const Collection = "organisations"

// ErrExists is returned by Create when the key is taken (on the key field).
var ErrExists = fault.New(fault.Invalid, "socialmap.error.exists", "socialmap: an organisation with this key exists")

// ErrNotFound is returned for an unknown key.
var ErrNotFound = store.ErrNotFound

// Service keeps the social map. The map is small (hundreds of entries), so
// filtering and ranking happen in Go after one query; that keeps the
// queries within what FerretDB v1 supports.
type Service struct {
	st  *store.Store
	now func() time.Time
}

// NewService returns the social-map service on st.
func NewService(st *store.Store) *Service {
	return &Service{st: st, now: func() time.Time { return time.Now().UTC() }}
}

// EnsureIndexes creates the index used by the public search.
func (s *Service) EnsureIndexes(ctx context.Context) error {
	return s.st.EnsureIndexes(ctx, store.Index{
		Collection: Collection, Name: "topics_retired",
		Keys: bson.D{{Key: "topics", Value: 1}, {Key: "retired", Value: 1}},
	})
}

// Create adds an organisation; an empty key is made from the name. It
// returns an Invalid fault naming every bad field, and ErrExists for a
// taken key.
func (s *Service) Create(ctx context.Context, o Organisation) (Organisation, error) {
	if strings.TrimSpace(o.Key) == "" {
		o.Key = Slug(o.Name)
	}
	if errs := o.Normalize(); len(errs) > 0 {
		return o, fault.Validation(errs...)
	}
	o.CreatedAt = s.now()
	o.UpdatedAt = o.CreatedAt
	o.Retired = false
	if err := s.st.Insert(ctx, Collection, o); err != nil {
		if store.IsDuplicate(err) {
			return o, ErrExists.With("value", o.Key).OnField("key")
		}
		return o, fmt.Errorf("socialmap: create %s: %w", o.Key, err)
	}
	return o, nil
}

// Update replaces the organisation with key o.Key, keeping its creation
// time and whether it is retired (Retire's field: an edit at the same
// moment as a retirement keeps both). It returns an Invalid fault for bad
// input and ErrNotFound.
func (s *Service) Update(ctx context.Context, o Organisation) (Organisation, error) {
	old, err := s.Get(ctx, o.Key)
	if err != nil {
		return o, err
	}
	if errs := o.Normalize(); len(errs) > 0 {
		return o, fault.Validation(errs...)
	}
	o.CreatedAt = old.CreatedAt
	o.UpdatedAt = s.now()
	raw, err := bson.Marshal(o)
	if err != nil {
		return o, fmt.Errorf("socialmap: encode %s: %w", o.Key, err)
	}
	var all, set bson.D
	if err := bson.Unmarshal(raw, &all); err != nil {
		return o, fmt.Errorf("socialmap: encode %s: %w", o.Key, err)
	}
	for _, e := range all {
		if e.Key != "_id" && e.Key != "retired" && e.Key != "created_at" {
			set = append(set, e)
		}
	}
	ok, err := s.st.Update(ctx, Collection, bson.D{{Key: "_id", Value: o.Key}}, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return o, fmt.Errorf("socialmap: update %s: %w", o.Key, err)
	}
	if !ok {
		return o, ErrNotFound
	}
	o.Retired = old.Retired
	return o, nil
}

// Retire hides an organisation from the public pages and from matching
// (retired=true) or brings it back (retired=false). Entries are never
// deleted: past referrals on cases still name them.
func (s *Service) Retire(ctx context.Context, key string, retired bool) error {
	ok, err := s.st.Update(ctx, Collection, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "retired", Value: retired}, {Key: "updated_at", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("socialmap: retire %s: %w", key, err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// Get returns one organisation, retired or not.
func (s *Service) Get(ctx context.Context, key string) (Organisation, error) {
	var o Organisation
	err := s.st.C(Collection).FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&o)
	if err != nil {
		return o, store.NotFound(err)
	}
	return o, nil
}

// Filter narrows List. Empty fields do not filter.
type Filter struct {
	Topic          string
	Region         string // a safety region, or "national"
	Municipality   string
	Query          string // part of the name, accents and case ignored
	ToVerify       bool   // only entries not yet verified
	IncludeRetired bool
}

// List returns the organisations that pass f, sorted by name.
func (s *Service) List(ctx context.Context, f Filter) ([]Organisation, error) {
	q := bson.D{}
	if !f.IncludeRetired {
		q = append(q, bson.E{Key: "retired", Value: false})
	}
	if f.Topic != "" {
		q = append(q, bson.E{Key: "topics", Value: f.Topic})
	}
	all, err := s.find(ctx, q)
	if err != nil {
		return nil, err
	}
	var region string
	if f.Region != "" {
		region = f.Region
		if c, ok := CanonicalRegion(f.Region); ok {
			region = c
		} else if Fold(f.Region) == National {
			region = National
		}
	}
	var muni string
	if f.Municipality != "" {
		if m, ok := LookupMunicipality(f.Municipality); ok {
			muni = m.Name
		} else {
			muni = f.Municipality
		}
	}
	query := Fold(f.Query)
	out := all[:0]
	for _, o := range all {
		switch {
		case region != "" && !contains(o.Regions, region) && !servesRegionByMunicipality(o, region):
		case muni != "" && !contains(o.Municipalities, muni):
		case query != "" && !strings.Contains(Fold(o.Name), query) && !strings.Contains(Fold(o.Key), query):
		case f.ToVerify && o.Verified():
		default:
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return Fold(out[i].Name) < Fold(out[j].Name) })
	return out, nil
}

func (s *Service) find(ctx context.Context, q bson.D) ([]Organisation, error) {
	cur, err := s.st.C(Collection).Find(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("socialmap: list: %w", err)
	}
	var out []Organisation
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("socialmap: list: %w", err)
	}
	return out, nil
}

func servesRegionByMunicipality(o Organisation, region string) bool {
	for _, m := range o.Municipalities {
		if r, ok := RegionOf(m); ok && r == region {
			return true
		}
	}
	return false
}

// Reach says how close a match is to the place asked for.
type Reach int

// The tiers of a match, closest first.
const (
	ReachMunicipality Reach = iota // works in the municipality itself
	ReachRegion                    // works in the safety region
	ReachNational                  // works everywhere
)

// Match is one organisation found for a place, topic and language.
type Match struct {
	Organisation
	Reach         Reach
	LanguageMatch bool
}

// MatchDetailed finds the active organisations for a worker in municipality that help
// with topic, preferring those that speak lang. place may also be a safety
// region's name; empty or unknown places give the national organisations
// only. An empty topic matches every topic. Results: same municipality
// first, then the region, then national; within each, language match, then
// evening hours first, then by name.
func (s *Service) MatchDetailed(ctx context.Context, place, topic, lang string) ([]Match, error) {
	q := bson.D{{Key: "retired", Value: false}}
	if topic != "" {
		q = append(q, bson.E{Key: "topics", Value: topic})
	}
	all, err := s.find(ctx, q)
	if err != nil {
		return nil, err
	}
	var muni, region string
	if m, ok := LookupMunicipality(place); ok {
		muni, region = m.Name, m.Region
	} else if r, ok := CanonicalRegion(place); ok {
		region = r
	}
	out := make([]Match, 0, len(all))
	for _, o := range all {
		m := Match{Organisation: o, LanguageMatch: lang != "" && o.SpeaksLanguage(lang)}
		switch {
		case muni != "" && contains(o.Municipalities, muni):
			m.Reach = ReachMunicipality
		case region != "" && (contains(o.Regions, region) || servesRegionByMunicipality(o, region)):
			m.Reach = ReachRegion
		case o.IsNational():
			m.Reach = ReachNational
		default:
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Reach != b.Reach {
			return a.Reach < b.Reach
		}
		if a.LanguageMatch != b.LanguageMatch {
			return a.LanguageMatch
		}
		if a.Evening != b.Evening {
			return a.Evening
		}
		return Fold(a.Name) < Fold(b.Name)
	})
	return out, nil
}
