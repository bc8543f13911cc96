package helpui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/view"
)

type listPage struct {
	Filter        socialmap.Filter
	Organisations []listRow
	Topics        []Option
	Regions       []string
	National      string
}

type listRow struct {
	socialmap.Organisation
	TopicLabels []string
}

// flashKeys are the messages a redirect after a change may ask for.
var flashKeys = map[string]string{
	"created":   "socialmap.flash.created",
	"saved":     "socialmap.flash.saved",
	"retired":   "socialmap.flash.retired",
	"unretired": "socialmap.flash.unretired",
}

func (h *Handler) mapList(c *fiber.Ctx) error {
	lang := staffLang(c)
	f := socialmap.Filter{
		Topic:          c.Query("topic"),
		Region:         c.Query("region"),
		Query:          clip(c.Query("q"), 100),
		ToVerify:       c.Query("verify") != "",
		IncludeRetired: c.Query("retired") != "",
	}
	if !socialmap.IsTopic(f.Topic) {
		f.Topic = ""
	}
	orgs, err := h.Map.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := listPage{Filter: f, Topics: topicOptions(), Regions: socialmap.Regions(), National: socialmap.National}
	for _, o := range orgs {
		r := listRow{Organisation: o}
		for _, t := range o.Topics {
			if k, ok := topicKeys[t]; ok {
				r.TopicLabels = append(r.TopicLabels, k)
			}
		}
		p.Organisations = append(p.Organisations, r)
	}
	d := &view.Data{Lang: lang, Page: p}
	if k, ok := flashKeys[c.Query("done")]; ok {
		d.Flash = h.Catalog.T(lang, k)
	}
	return h.View.Render(c, fiber.StatusOK, "staff/socialmap", d)
}

func (h *Handler) mapRetire(c *fiber.Ctx) error {
	retired := c.FormValue("retired") != "0"
	if err := h.Map.Retire(c.UserContext(), c.Params("key"), retired); err != nil {
		if err == socialmap.ErrNotFound {
			return fiber.ErrNotFound
		}
		return err
	}
	done := "retired"
	if !retired {
		done = "unretired"
	}
	return c.Redirect("/staff/socialmap?done="+done, fiber.StatusSeeOther)
}
