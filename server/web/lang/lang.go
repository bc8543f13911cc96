// Package lang is the language of a public page: the one list of public
// languages and the one way a public page gets its language, from the
// first segment of its address (/nl/report, /en/report, …).
package lang

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/cases"
)

// Public are the languages of the public pages, in the chooser's order.
// The cases package owns the list (her case is in one of them); every
// page, route and chooser takes it from here or from there.
var Public = cases.PublicLanguages

// Default is the page language when none is set.
const Default = "nl"

// key is where a request's language is kept. The staff session loader
// (web/auth) puts a signed-in user's language under the same key, so the
// error pages of either audience find it in one place.
const key = "lang"

// Mount registers the routes that mount adds once under each public
// language: /nl/report, /en/report, … Each route first sets its
// language, then runs middleware, then its handlers. Only a route's own
// address reaches them: no group middleware, which Fiber would run for
// any path that merely starts with "/en" (/english), and a first segment
// that is not a public language (/staff, /api, /xx) matches no route, so
// no handler has to check. Routes per language are also what Fiber finds
// fastest: it picks the routes to try by the path's first three bytes,
// and a "/:lang" route had to be tried for every request.
func Mount(r fiber.Router, mount func(Router), middleware ...fiber.Handler) {
	for _, l := range Public {
		mount(Router{r: r.Group("/" + l), before: append([]fiber.Handler{set(l)}, middleware...)})
	}
}

// Router adds the routes of one public language.
type Router struct {
	r      fiber.Router
	before []fiber.Handler
}

// Get adds a GET (and HEAD) route.
func (p Router) Get(path string, handlers ...fiber.Handler) { p.r.Get(path, p.with(handlers)...) }

// Post adds a POST route.
func (p Router) Post(path string, handlers ...fiber.Handler) { p.r.Post(path, p.with(handlers)...) }

func (p Router) with(handlers []fiber.Handler) []fiber.Handler {
	return append(slices.Clip(p.before), handlers...)
}

// set makes l the page language. l is the list's own string, never the
// request's: the language outlives the request in the renderer's
// per-language templates, and Fiber reuses request memory.
func set(l string) fiber.Handler {
	prefix := "/" + l
	return func(c *fiber.Ctx) error {
		// Fiber matches routes in any case; a language is only its own
		// spelling (/EN/report is no page, as it never was).
		if !strings.HasPrefix(c.Path(), prefix) {
			return fiber.ErrNotFound
		}
		c.Locals(key, l)
		return c.Next()
	}
}

// Of returns the page language, Default when none is set.
func Of(c *fiber.Ctx) string {
	if l, ok := c.Locals(key).(string); ok {
		return l
	}
	return Default
}

// InPath returns the public language that is the first segment of path,
// as the list's own string.
func InPath(path string) (string, bool) {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	for _, l := range Public {
		if l == seg {
			return l, true
		}
	}
	return "", false
}

// Route is the pattern of c's route with its language written "/:lang":
// logs name the page that answered, not the language of the one who
// asked.
func Route(c *fiber.Ctx) string {
	p := c.Route().Path
	if l, ok := InPath(p); ok {
		return "/:lang" + p[1+len(l):]
	}
	return p
}
