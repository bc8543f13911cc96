package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/socialmap"
)

// A case's municipality is coded, so reports can count by municipality and
// safety region and no free text about her whereabouts is kept: it is the
// CBS code of one of the municipalities of the social map ("GM0363"), or
// one of these two values. The case keeps the municipality's safety region
// beside it (or the same special value).
const (
	// MunicipalityUnknown: she did not know or did not want to say.
	MunicipalityUnknown = "unknown"
	// MunicipalityOnline: the matter is online, not bound to a place.
	MunicipalityOnline = "online"
)

// ResolveMunicipality turns what a form, the API or the app sends into the
// stored code and its safety region. It accepts a CBS code, a
// municipality's name (case, accents, spaces and punctuation do not matter;
// the everyday names and merged municipalities the social map knows are
// accepted too), the two special values, and "" (unknown). ok is false for
// anything else.
func ResolveMunicipality(s string) (code, region string, ok bool) {
	switch socialmap.Fold(s) {
	case "", MunicipalityUnknown:
		return MunicipalityUnknown, MunicipalityUnknown, true
	case MunicipalityOnline:
		return MunicipalityOnline, MunicipalityOnline, true
	}
	m, found := socialmap.LookupMunicipality(s)
	if !found {
		return "", "", false
	}
	return m.Code, m.Region, true
}

// CodeMunicipality is ResolveMunicipality for values that must not be
// refused (an outreach round, a stored free text): what it does not know
// becomes MunicipalityUnknown.
func CodeMunicipality(s string) (code, region string) {
	code, region, ok := ResolveMunicipality(s)
	if !ok {
		return MunicipalityUnknown, MunicipalityUnknown
	}
	return code, region
}

// MunicipalityName is the name of a coded municipality for display, or ""
// for the special values (and for anything that is not a code).
func MunicipalityName(code string) string {
	if !strings.HasPrefix(code, "GM") {
		return ""
	}
	if m, ok := socialmap.LookupMunicipality(code); ok {
		return m.Name
	}
	return ""
}

// MunicipalityChoice is one municipality as a form offers it.
type MunicipalityChoice struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// MunicipalityChoices lists every municipality as the forms offer them, in
// the order of socialmap.Municipalities: by name without case or accents,
// "'s-Gravenhage" under G as in Dutch lists. For these Dutch names that is
// the collation order of every public language (a test checks each), so
// one order serves all and the collation tables stay out of the binary.
func MunicipalityChoices() []MunicipalityChoice { return slices.Clone(choices()) }

var choices = sync.OnceValue(func() []MunicipalityChoice {
	ms := socialmap.Municipalities()
	out := make([]MunicipalityChoice, len(ms))
	for i, m := range ms {
		out[i] = MunicipalityChoice{Code: m.Code, Name: m.Name}
	}
	return out
})

// CodeMunicipalities codes the free-text municipality of cases stored
// before it was a choice: a text that names a municipality becomes its
// code, anything else MunicipalityUnknown, and the safety region is set
// beside it. Run at start; cases that have a region are done, so running
// it again (or on two instances at once) changes nothing more. It returns
// how many cases it changed.
func (s *Service) CodeMunicipalities(ctx context.Context) (int, error) {
	cur, err := s.st.C(collectionCases).Find(ctx, bson.M{"region": nil},
		options.Find().SetProjection(bson.M{"_id": 1, "municipality": 1}))
	if err != nil {
		return 0, fmt.Errorf("cases: find uncoded municipalities: %w", err)
	}
	var list []struct {
		ID           string `bson:"_id"`
		Municipality string `bson:"municipality"`
	}
	if err := cur.All(ctx, &list); err != nil {
		return 0, fmt.Errorf("cases: find uncoded municipalities: %w", err)
	}
	n := 0
	for _, c := range list {
		code, region := CodeMunicipality(c.Municipality)
		// A case another instance coded meanwhile no longer matches.
		ok, err := s.st.Update(ctx, collectionCases, bson.M{"_id": c.ID, "region": nil},
			bson.M{"$set": bson.M{"municipality": code, "region": region}})
		if err != nil {
			return n, fmt.Errorf("cases: code municipality of %s: %w", c.ID, err)
		}
		if ok {
			n++
			s.journal(ctx, c.ID, "")
		}
	}
	return n, nil
}
