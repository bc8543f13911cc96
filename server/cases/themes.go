package cases

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

const collectionThemes = "themes"

// Theme bundles similar cases (e.g. "bank refuses business accounts").
// Cases are linked, never merged: each keeps its own thread and answer.
//
// Title and OrgName are free text and are stored sealed, like every free
// text (TitleSealed, OrgNameSealed); the service opens them on reading.
type Theme struct {
	ID            string `bson:"_id"`
	Title         string `bson:"-"`
	OrgName       string `bson:"-"` // the organisation, e.g. a bank's name
	TitleSealed   []byte `bson:"title_sealed"`
	OrgNameSealed []byte `bson:"org_name_sealed"`
	// Themes made before titles were sealed; SealThemes moves them.
	LegacyTitle   string    `bson:"title,omitempty"`
	LegacyOrgName string    `bson:"org_name,omitempty"`
	OrgType       string    `bson:"org_type"` // one of Groups
	Note          []byte    `bson:"note"`     // shared internal note, sealed
	CreatedBy     string    `bson:"created_by"`
	CreatedAt     time.Time `bson:"created_at"`
	UpdatedAt     time.Time `bson:"updated_at"`

	// Summary is the desk's public summary for the theme report (what it
	// sends the organisation or ministry), sealed like every free text.
	Summary       string `bson:"-"`
	SummarySealed []byte `bson:"summary_sealed,omitempty"`
}

// ThemeIndexes are the indexes of themes.
func ThemeIndexes() []store.Index {
	return []store.Index{
		{Collection: collectionCases, Keys: bson.D{{Key: "themes", Value: 1}}, Name: "themes"},
		{Collection: collectionCases, Keys: bson.D{{Key: "category", Value: 1}, {Key: "created_at", Value: 1}}, Name: "category_created"},
	}
}

func themeCtx(id string) string { return "theme:" + id + ":note" }

func themeFieldCtx(id, field string) string { return "theme:" + id + ":" + field }

// open fills in the theme's sealed free text.
func (s *Service) openTheme(t *Theme) {
	if t.TitleSealed == nil {
		t.Title, t.OrgName = t.LegacyTitle, t.LegacyOrgName
		return
	}
	var err error
	if t.Title, err = s.seal.Open(t.TitleSealed, themeFieldCtx(t.ID, "title")); err != nil {
		s.log.Error("cases: open theme title", "theme", t.ID, "err", err)
	}
	if t.OrgName, err = s.seal.Open(t.OrgNameSealed, themeFieldCtx(t.ID, "org_name")); err != nil {
		s.log.Error("cases: open theme organisation", "theme", t.ID, "err", err)
	}
	s.openSummary(t)
}

// CreateTheme makes a theme.
func (s *Service) CreateTheme(ctx context.Context, actor, title, orgType, orgName string) (*Theme, error) {
	title, err := cleanText(title, MaxShort)
	if err != nil {
		return nil, err
	}
	orgName = strings.TrimSpace(orgName)
	if len([]rune(orgName)) > MaxShort {
		return nil, ErrTooLong
	}
	ok := orgType == ""
	for _, g := range Groups {
		ok = ok || g == orgType
	}
	if !ok {
		return nil, fmt.Errorf("cases: organisation type %q: %w", orgType, ErrEmpty)
	}
	now := s.now().UTC()
	id := uuid.NewString()
	t := &Theme{ID: id, Title: title, OrgType: orgType, OrgName: orgName, CreatedBy: actor, CreatedAt: now, UpdatedAt: now,
		TitleSealed: s.seal.Seal(title, themeFieldCtx(id, "title")), OrgNameSealed: s.seal.Seal(orgName, themeFieldCtx(id, "org_name"))}
	if err := s.st.Insert(ctx, collectionThemes, t); err != nil {
		return nil, fmt.Errorf("cases: create theme: %w", err)
	}
	return t, nil
}

// SealThemes seals the titles and organisation names of themes stored
// before they were sealed (run at start; a no-op once done).
func (s *Service) SealThemes(ctx context.Context) error {
	cur, err := s.st.C(collectionThemes).Find(ctx, bson.M{"title_sealed": nil})
	if err != nil {
		return fmt.Errorf("cases: find unsealed themes: %w", err)
	}
	var list []Theme
	if err := cur.All(ctx, &list); err != nil {
		return fmt.Errorf("cases: find unsealed themes: %w", err)
	}
	for _, t := range list {
		_, err := s.st.Update(ctx, collectionThemes, bson.M{"_id": t.ID, "title_sealed": nil}, bson.M{
			"$set": bson.M{
				"title_sealed":    s.seal.Seal(t.LegacyTitle, themeFieldCtx(t.ID, "title")),
				"org_name_sealed": s.seal.Seal(t.LegacyOrgName, themeFieldCtx(t.ID, "org_name")),
			},
			"$unset": bson.M{"title": "", "org_name": ""},
		})
		if err != nil {
			return fmt.Errorf("cases: seal theme %s: %w", t.ID, err)
		}
	}
	return nil
}

// Theme returns a theme.
func (s *Service) Theme(ctx context.Context, id string) (*Theme, error) {
	var t Theme
	if err := s.st.C(collectionThemes).FindOne(ctx, bson.M{"_id": id}).Decode(&t); err != nil {
		return nil, fmt.Errorf("cases: theme: %w", notFound(err))
	}
	s.openTheme(&t)
	return &t, nil
}

// Themes lists every theme by title (sorted here: titles are sealed).
func (s *Service) Themes(ctx context.Context) ([]Theme, error) {
	cur, err := s.st.C(collectionThemes).Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("cases: themes: %w", err)
	}
	out := []Theme{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("cases: themes: %w", err)
	}
	for i := range out {
		s.openTheme(&out[i])
	}
	slices.SortFunc(out, func(a, b Theme) int {
		return cmp.Or(strings.Compare(fold(a.Title), fold(b.Title)), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ThemeNote opens a theme's shared note.
func (s *Service) ThemeNote(t *Theme) string {
	v, err := s.seal.Open(t.Note, themeCtx(t.ID))
	if err != nil {
		s.log.Error("cases: open theme note", "theme", t.ID, "err", err)
	}
	return v
}

// SetThemeNote replaces a theme's shared internal note.
func (s *Service) SetThemeNote(ctx context.Context, id, note string) error {
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	if len([]rune(note)) > MaxMessage {
		return ErrTooLong
	}
	ok, err := s.st.Update(ctx, collectionThemes, bson.M{"_id": id},
		bson.M{"$set": bson.M{"note": s.seal.Seal(note, themeCtx(id)), "updated_at": s.now().UTC()}})
	if err != nil {
		return fmt.Errorf("cases: theme note: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// LinkTheme links a case to a theme (nothing is merged).
func (s *Service) LinkTheme(ctx context.Context, caseID, themeID, actor string) error {
	if _, err := s.Theme(ctx, themeID); err != nil {
		return err
	}
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": caseID, "themes": bson.M{"$ne": themeID}},
		bson.M{"$push": bson.M{"themes": themeID}, "$set": bson.M{"updated_at": s.now().UTC()}})
	if err != nil {
		return fmt.Errorf("cases: link theme: %w", err)
	}
	if !ok {
		if _, err := s.Get(ctx, caseID); err != nil {
			return err
		}
		return nil // already linked
	}
	s.journal(ctx, caseID, "")
	_, err = s.Append(ctx, Event{CaseID: caseID, Type: EventTheme, Actor: actor,
		Data: map[string]string{"theme": themeID, "action": "link"}}, "")
	return err
}

// UnlinkTheme removes a case from a theme.
func (s *Service) UnlinkTheme(ctx context.Context, caseID, themeID, actor string) error {
	ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": caseID, "themes": themeID},
		bson.M{"$pull": bson.M{"themes": themeID}, "$set": bson.M{"updated_at": s.now().UTC()}})
	if err != nil {
		return fmt.Errorf("cases: unlink theme: %w", err)
	}
	if !ok {
		return nil
	}
	s.journal(ctx, caseID, "")
	_, err = s.Append(ctx, Event{CaseID: caseID, Type: EventTheme, Actor: actor,
		Data: map[string]string{"theme": themeID, "action": "unlink"}}, "")
	return err
}

// ThemeCases lists the cases of a theme, newest first.
func (s *Service) ThemeCases(ctx context.Context, themeID string) ([]Case, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"themes": themeID},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("cases: theme cases: %w", err)
	}
	out := []Case{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("cases: theme cases: %w", err)
	}
	return out, nil
}

// ThemeCounts returns, per theme id, how many cases are linked.
func (s *Service) ThemeCounts(ctx context.Context) (map[string]int, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"themes": 1}))
	if err != nil {
		return nil, fmt.Errorf("cases: theme counts: %w", err)
	}
	var docs []struct {
		Themes []string `bson:"themes"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("cases: theme counts: %w", err)
	}
	out := map[string]int{}
	for _, d := range docs {
		for _, t := range d.Themes {
			out[t]++
		}
	}
	return out, nil
}

// SimilarWindow is how far apart possible duplicates may have come in.
const SimilarWindow = 12 * 7 * 24 * time.Hour

// Similar suggests possible duplicates of c: other cases about the same
// organisation (compared without case and surrounding spaces, by a keyed
// hash of the opened field), in the same category, received within 12
// weeks of it, in any municipality (an organisation works in several).
// Without an organisation nothing is suggested. Newest first.
func (s *Service) Similar(ctx context.Context, c *Case) ([]Case, error) {
	about := fold(s.Field(c, "about"))
	if about == "" {
		return []Case{}, nil
	}
	key := string(s.seal.MAC("about", about))
	out := []Case{}
	err := s.indexed(ctx, func(ix *caseIndex) {
		for id, o := range ix.rows {
			if id == c.ID || o.Category != c.Category || ix.about[id] != key {
				continue
			}
			if d := o.CreatedAt.Sub(c.CreatedAt); d > SimilarWindow || d < -SimilarWindow {
				continue
			}
			out = append(out, *o)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("cases: similar: %w", err)
	}
	slices.SortFunc(out, func(a, b Case) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
