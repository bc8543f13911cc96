package appui_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/web/appui"
)

// testHook matches what only a test would want in the app: a global handle
// on its modules, functions named for tests, globals with leading
// underscores.
var testHook = regexp.MustCompile(`(?i)window\.gehoord|gehoordReady|fortest|__test|testhook|window\.__`)

// TestAppBundleHasNoTestHooks: the files the app serves, and every URL
// the service worker precaches, carry no test hook; the browser tests bring
// their own (testdata/hooks.js, added through DevTools).
func TestAppBundleHasNoTestHooks(t *testing.T) {
	if !testHook.MatchString(hooksJS) {
		t.Fatal("the pattern no longer recognises the tests' own hooks: it would miss them in the app")
	}
	h, err := appui.New(appui.Handler{Catalog: i18n.Default()})
	if err != nil {
		t.Fatal(err)
	}
	sw, ok := h.File("/app/sw.js")
	if !ok {
		t.Fatal("no /app/sw.js")
	}
	m := regexp.MustCompile(`const SHELL = (\[.*\]);`).FindSubmatch(sw)
	if m == nil {
		t.Fatal("no SHELL list in the served sw.js")
	}
	var precached []string
	if err := json.Unmarshal(m[1], &precached); err != nil {
		t.Fatal(err)
	}
	if len(precached) == 0 || strings.Join(precached, " ") != strings.Join(h.Shell(), " ") {
		t.Fatalf("the worker precaches %v, the app serves %v", precached, h.Shell())
	}
	for _, u := range append(precached, "/app/sw.js") {
		body, ok := h.File(u)
		if !ok {
			t.Fatalf("the worker precaches %s, which is not served", u)
		}
		if strings.Contains(u, "hook") {
			t.Errorf("%s is served", u)
		}
		if loc := testHook.FindIndex(body); loc != nil {
			t.Errorf("%s carries a test hook: %q", u, body[max(0, loc[0]-40):min(len(body), loc[1]+40)])
		}
	}
}
