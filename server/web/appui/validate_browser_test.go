package appui_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// The tablet app checks a report as the server does: its own module
// (pwa/js/validate.js), run in Chromium with the lists the server hands
// the app (/app/config.json), gives every input of the table the server's
// test reads (server/cases/testdata/report_inputs.json) exactly its
// verdict per field.
func TestTabletValidationTable(t *testing.T) {
	be := startBackend(t)
	b := openBrowser(t, t.TempDir())
	table, err := os.ReadFile(filepath.Join(repoRoot(t), "server", "cases", "testdata", "report_inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tb struct {
		Inputs []struct {
			Name   string
			Errors map[string]string
		}
	}
	if err := json.Unmarshal(table, &tb); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(be.env.URL + "/app/"))
	var got []map[string]string
	b.js(fmt.Sprintf(`(async (tb) => {
		const v = await import('/app/js/validate.js');
		const cfg = await fetch('/app/config.json').then((r) => r.json());
		const expand = (x) => {
			if (x === null || typeof x !== 'object') return x;
			if (typeof x.repeat === 'string') return (x.pad || '') + x.repeat.repeat(x.times) + (x.pad || '');
			return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, expand(y)]));
		};
		return tb.inputs.map((c) => {
			const r = structuredClone(tb.base);
			for (const [k, x] of Object.entries(c.set)) {
				if (x === null) delete r[k];
				else r[k] = expand(x);
			}
			const out = {};
			for (const e of v.validate(v.normalize(r), cfg, new Date(tb.now))) {
				out[e.field] = out[e.field] ? out[e.field] + ' and ' + e.key : e.key;
			}
			return out;
		});
	})(%s)`, table), &got)
	if len(got) != len(tb.Inputs) || len(got) < 50 {
		t.Fatalf("the app answered %d of %d inputs", len(got), len(tb.Inputs))
	}
	for i, c := range tb.Inputs {
		if c.Errors == nil {
			c.Errors = map[string]string{}
		}
		if !maps.Equal(got[i], c.Errors) {
			t.Errorf("%s: the app says %v, table %v", c.Name, got[i], c.Errors)
		}
	}
}
