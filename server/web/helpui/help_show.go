package helpui

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// helpPage is what public/help shows.
type helpPage struct {
	Place, Region, Topic string
	Searched             bool
	UnknownPlace         bool
	// Where is the municipality or region the results are for.
	Municipality, ResolvedRegion string
	Municipalities               []socialmap.Municipality
	Regions                      []string
	Topics                       []Option
	Groups                       []helpGroup
	Count                        int
}

type helpGroup struct {
	Reach   string // "municipality", "region", "national"
	Results []helpResult
}

type helpResult struct {
	socialmap.Organisation
	TopicLabels []string
	Langs       []Lang
	LangMatch   bool
	Tel         string // the phone number for a tel: link
	// The organisation's own words for this reader, each with its language
	// (the page marks a text that is not in hers).
	AboutText, WalkInText, HoursText socialmap.Shown
}

// helpShow is the search form and, once asked, the results. A plain GET
// form: it works without JavaScript and the results can be bookmarked.
// Only verified entries are shown to the public: a wrong phone number is
// worse than none.
func (h *Handler) helpShow(c *fiber.Ctx) error {
	l := lang.Of(c)
	// What she looked for says something about her: keep it out of caches.
	c.Set(fiber.HeaderCacheControl, "no-store")
	p := helpPage{
		Place:          clip(c.Query("place"), 100),
		Region:         clip(c.Query("region"), 100),
		Topic:          clip(c.Query("topic"), 40),
		Municipalities: socialmap.Municipalities(),
		Regions:        socialmap.Regions(),
		Topics:         topicOptions(),
	}
	if !socialmap.IsTopic(p.Topic) {
		p.Topic = ""
	}
	if r, ok := socialmap.CanonicalRegion(p.Region); ok {
		p.Region = r
	} else {
		p.Region = ""
	}
	p.Searched = c.Query("place") != "" || c.Query("region") != "" || c.Query("topic") != "" || c.Query("go") != ""
	if p.Searched {
		place := p.Region
		if m, ok := socialmap.LookupMunicipality(p.Place); ok {
			place, p.Municipality, p.ResolvedRegion = m.Name, m.Name, m.Region
		} else {
			p.UnknownPlace = p.Place != ""
			p.ResolvedRegion = p.Region
		}
		matches, err := h.Map.MatchDetailed(c.UserContext(), place, p.Topic, l)
		if err != nil {
			return err
		}
		byReach := map[socialmap.Reach]*helpGroup{}
		for _, m := range matches {
			if !m.Verified() {
				continue
			}
			g, ok := byReach[m.Reach]
			if !ok {
				g = &helpGroup{Reach: reachName(m.Reach)}
				byReach[m.Reach] = g
			}
			r := helpResult{Organisation: m.Organisation, Langs: languageNames(m.Languages), LangMatch: m.LanguageMatch, Tel: telHref(m.Phone)}
			r.AboutText, r.WalkInText, r.HoursText = m.TextFor(l)
			for _, t := range socialmap.Topics() {
				if m.HasTopic(t) {
					r.TopicLabels = append(r.TopicLabels, topicKeys[t])
				}
			}
			g.Results = append(g.Results, r)
			p.Count++
		}
		for _, reach := range []socialmap.Reach{socialmap.ReachMunicipality, socialmap.ReachRegion, socialmap.ReachNational} {
			if g, ok := byReach[reach]; ok {
				p.Groups = append(p.Groups, *g)
			}
		}
	}
	d := &view.Data{Lang: l, Page: p}
	if p.UnknownPlace {
		// The field's error, so the page title says there is one.
		d.Errors = map[string]string{"place": h.Catalog.T(l, "help.unknown_place", "place", p.Place)}
	}
	return h.View.Render(c, fiber.StatusOK, "public/help", d)
}

func reachName(r socialmap.Reach) string {
	switch r {
	case socialmap.ReachMunicipality:
		return "municipality"
	case socialmap.ReachRegion:
		return "region"
	}
	return "national"
}

// telHref keeps the digits and a leading plus of a phone number, so a
// tap dials it whatever spacing or dashes the entry has.
func telHref(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
