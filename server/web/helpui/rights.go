package helpui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/view"
)

// RightsChecked is when the facts on the rights pages were last checked
// (shown on every page through "rights.checked").
const RightsChecked = "2026-12"

// rightsTopic is one know-your-rights page. Every key is spelled out so the
// translators and the catalog tests see them all.
type rightsTopic struct {
	ID      string
	Title   string
	Summary string
	Paras   []string
	Routes  []string // ids of complaintRoutes, in the order shown
}

type complaintRoute struct {
	ID   string
	Name string
	Text string
}

var complaintRoutes = map[string]complaintRoute{
	"police":           {"police", "rights.route.police.name", "rights.route.police.text"},
	"municipality":     {"municipality", "rights.route.municipality.name", "rights.route.municipality.text"},
	"ombudsman":        {"ombudsman", "rights.route.ombudsman.name", "rights.route.ombudsman.text"},
	"juridischloket":   {"juridischloket", "rights.route.juridischloket.name", "rights.route.juridischloket.text"},
	"arbeidsinspectie": {"arbeidsinspectie", "rights.route.arbeidsinspectie.name", "rights.route.arbeidsinspectie.text"},
	"ap":               {"ap", "rights.route.ap.name", "rights.route.ap.text"},
	"tax":              {"tax", "rights.route.tax.name", "rights.route.tax.text"},
	"kvk":              {"kvk", "rights.route.kvk.name", "rights.route.kvk.text"},
	"huurcommissie":    {"huurcommissie", "rights.route.huurcommissie.name", "rights.route.huurcommissie.text"},
	"kifid":            {"kifid", "rights.route.kifid.name", "rights.route.kifid.text"},
}

var rightsTopics = []rightsTopic{
	{ID: "legal", Title: "rights.legal.title", Summary: "rights.legal.summary",
		Paras:  []string{"rights.legal.p1", "rights.legal.p2", "rights.legal.p3", "rights.legal.p4", "rights.legal.p5", "rights.legal.p6"},
		Routes: []string{"juridischloket", "municipality", "kvk"}},
	{ID: "door", Title: "rights.door.title", Summary: "rights.door.summary",
		Paras:  []string{"rights.door.p1", "rights.door.p2", "rights.door.p3", "rights.door.p4", "rights.door.p5", "rights.door.p6"},
		Routes: []string{"police", "municipality", "ombudsman", "juridischloket"}},
	{ID: "witness", Title: "rights.witness.title", Summary: "rights.witness.summary",
		Paras:  []string{"rights.witness.p1", "rights.witness.p2", "rights.witness.p3", "rights.witness.p4", "rights.witness.p5"},
		Routes: []string{"police", "ombudsman", "juridischloket"}},
	{ID: "tax", Title: "rights.tax.title", Summary: "rights.tax.summary",
		Paras:  []string{"rights.tax.p1", "rights.tax.p2", "rights.tax.p3", "rights.tax.p4", "rights.tax.p5", "rights.tax.p6"},
		Routes: []string{"tax", "ombudsman", "arbeidsinspectie", "juridischloket"}},
	{ID: "kvk", Title: "rights.kvk.title", Summary: "rights.kvk.summary",
		Paras:  []string{"rights.kvk.p1", "rights.kvk.p2", "rights.kvk.p3", "rights.kvk.p4"},
		Routes: []string{"kvk", "ombudsman", "ap", "juridischloket"}},
	{ID: "rent", Title: "rights.rent.title", Summary: "rights.rent.summary",
		Paras:  []string{"rights.rent.p1", "rights.rent.p2", "rights.rent.p3", "rights.rent.p4", "rights.rent.p5", "rights.rent.p6"},
		Routes: []string{"municipality", "huurcommissie", "juridischloket"}},
	{ID: "refuse", Title: "rights.refuse.title", Summary: "rights.refuse.summary",
		Paras:  []string{"rights.refuse.p1", "rights.refuse.p2", "rights.refuse.p3", "rights.refuse.p4", "rights.refuse.p5", "rights.refuse.p6"},
		Routes: []string{"juridischloket", "arbeidsinspectie", "municipality"}},
	{ID: "banks", Title: "rights.banks.title", Summary: "rights.banks.summary",
		Paras:  []string{"rights.banks.p1", "rights.banks.p2", "rights.banks.p3", "rights.banks.p4", "rights.banks.p5"},
		Routes: []string{"kifid", "juridischloket"}},
	{ID: "online", Title: "rights.online.title", Summary: "rights.online.summary",
		Paras:  []string{"rights.online.p1", "rights.online.p2", "rights.online.p3", "rights.online.p4", "rights.online.p5", "rights.online.p6"},
		Routes: []string{"ap", "juridischloket"}},
	{ID: "exit", Title: "rights.exit.title", Summary: "rights.exit.summary",
		Paras:  []string{"rights.exit.p1", "rights.exit.p2", "rights.exit.p3", "rights.exit.p4", "rights.exit.p5", "rights.exit.p6"},
		Routes: []string{"municipality", "ombudsman", "juridischloket"}},
}

// RightsTopics returns the topic ids of the rights pages, in order.
func RightsTopics() []string {
	ids := make([]string, len(rightsTopics))
	for i, t := range rightsTopics {
		ids[i] = t.ID
	}
	return ids
}

type rightsPage struct {
	Topics  []rightsTopic
	Topic   rightsTopic
	Routes  []complaintRoute
	Checked string
}

func (h *Handler) rightsIndex(c *fiber.Ctx) error {
	return h.View.Render(c, fiber.StatusOK, "public/rights", &view.Data{Lang: lang.Of(c),
		Page: rightsPage{Topics: rightsTopics, Checked: RightsChecked}})
}

func (h *Handler) rightsShow(c *fiber.Ctx) error {
	for _, t := range rightsTopics {
		if t.ID != c.Params("topic") {
			continue
		}
		p := rightsPage{Topics: rightsTopics, Topic: t, Checked: RightsChecked}
		for _, id := range t.Routes {
			p.Routes = append(p.Routes, complaintRoutes[id])
		}
		return h.View.Render(c, fiber.StatusOK, "public/rights_topic", &view.Data{Lang: lang.Of(c), Page: p})
	}
	return fiber.ErrNotFound
}
