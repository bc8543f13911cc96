package pushui

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/staff"
)

// swTexts are the notification texts per staff language. The worker cannot
// read the session, so the payload names the language and the worker holds
// the texts of every staff language, taken from the catalogs.
func (h *Handler) swTexts() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range staff.Languages {
		out[l] = map[string]string{
			"title":   h.Catalog.T(l, "push.notify.title"),
			"body":    h.Catalog.T(l, "push.notify.body"),
			"summary": h.Catalog.T(l, "push.notify.summary"),
		}
	}
	return out
}

// serviceWorker serves the staff worker (scope /staff/). It is revalidated
// on every update check (no-cache), so a new version reaches every device.
func (h *Handler) serviceWorker(c *fiber.Ctx) error {
	texts, _ := json.Marshal(h.swTexts())
	icon, _ := h.Assets.URL("icons/app-192.png")
	iconJSON, _ := json.Marshal(icon)
	js := strings.NewReplacer("__TEXTS__", string(texts), "__ICON__", string(iconJSON)).Replace(swSource)
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.SendString(js)
}

// swSource is the staff service worker. A push shows one neutral text in
// the reader's language; the payload is {"type","id","lang"} and nothing
// about a case. A click opens the case (after sign-in when needed) or the
// inbox for a summary.
const swSource = `// Gehoord staff service worker (notifications).
'use strict';
const TEXTS = __TEXTS__;
const ICON = __ICON__;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function target(p) {
  const id = typeof p.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(p.id) ? p.id : '';
  if (typeof p.type === 'string' && p.type.indexOf('case.') === 0 && id) {
    return '/staff/cases/' + id;
  }
  return '/staff/';
}

self.addEventListener('push', (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch (e) { p = {}; }
  if (!p || typeof p !== 'object') { p = {}; }
  const lang = Object.prototype.hasOwnProperty.call(TEXTS, p.lang) ? p.lang : 'nl';
  const t = TEXTS[lang];
  const summary = p.type === 'summary';
  const url = target(p);
  event.waitUntil(self.registration.showNotification(t.title, {
    body: summary ? t.summary : t.body,
    tag: summary ? 'summary' : url,
    renotify: true,
    lang: lang,
    icon: ICON,
    data: { url: url }
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || '/staff/';
  const url = new URL(path, self.location.origin).href;
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) {
      if (w.url.indexOf(self.location.origin + '/staff/') === 0 && 'navigate' in w) {
        const n = await w.navigate(url);
        return (n || w).focus();
      }
    }
    return self.clients.openWindow(url);
  })());
});
`

// manifest makes the staff pages an installable web app, which iPhone and
// iPad need before a page may ask for notifications.
func (h *Handler) manifest(c *fiber.Ctx) error {
	icons := []map[string]string{}
	for _, ic := range []struct{ name, size, purpose string }{
		{"icons/app-192.png", "192x192", "any"},
		{"icons/app-512.png", "512x512", "any"},
		{"icons/app-maskable-512.png", "512x512", "maskable"},
	} {
		if u, err := h.Assets.URL(ic.name); err == nil {
			icons = append(icons, map[string]string{"src": u, "sizes": ic.size, "type": "image/png", "purpose": ic.purpose})
		}
	}
	m := map[string]any{
		"name": "Gehoord", "short_name": "Gehoord", "id": "/staff/", "start_url": "/staff/", "scope": "/staff/",
		"display": "standalone", "background_color": "#ffffff", "theme_color": "#ffffff", "icons": icons,
	}
	c.Set(fiber.HeaderContentType, "application/manifest+json")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(m, "application/manifest+json")
}
