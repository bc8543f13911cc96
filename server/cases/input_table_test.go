package cases

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gehoord/gehoord/server/fault"
)

// inputTable is testdata/report_inputs.json: report inputs with the
// verdict per field that the server and the tablet app's validate.js must
// both give (the app's side runs in Chromium, in server/web/appui).
type inputTable struct {
	Now    time.Time      `json:"now"`
	Base   map[string]any `json:"base"`
	Inputs []struct {
		Name   string            `json:"name"`
		Set    map[string]any    `json:"set"`
		Errors map[string]string `json:"errors"`
	} `json:"inputs"`
}

// Expand builds input i of the table as a JSON object: the base with its
// changes, {repeat, times, pad} values written out.
func (tb *inputTable) Expand(i int) map[string]any {
	r := maps.Clone(tb.Base)
	for k, v := range tb.Inputs[i].Set {
		if v == nil {
			delete(r, k)
			continue
		}
		r[k] = expandValue(v)
	}
	return r
}

func expandValue(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if rep, ok := m["repeat"].(string); ok {
		pad, _ := m["pad"].(string)
		return pad + strings.Repeat(rep, int(m["times"].(float64))) + pad
	}
	out := map[string]any{}
	for k, x := range m {
		out[k] = expandValue(x)
	}
	return out
}

func readinputTable(t *testing.T) *inputTable {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "report_inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tb inputTable
	if err := json.Unmarshal(b, &tb); err != nil {
		t.Fatal(err)
	}
	if len(tb.Inputs) < 50 || tb.Now.IsZero() {
		t.Fatalf("table incomplete: %d inputs", len(tb.Inputs))
	}
	return &tb
}

// TestValidationTable: the server's intake gives every input of the table
// exactly its verdict, decoded from JSON as the API and the sync decode it.
func TestValidationTable(t *testing.T) {
	tb := readinputTable(t)
	for i, c := range tb.Inputs {
		b, err := json.Marshal(tb.Expand(i))
		if err != nil {
			t.Fatal(err)
		}
		var in Input
		if err := json.Unmarshal(b, &in); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		in.Normalize()
		got := map[string]string{}
		if err := in.Validate(tb.Now); err != nil {
			for _, f := range fault.FieldsOf(err) {
				if _, twice := got[f.Field]; twice {
					t.Errorf("%s: two errors on %s", c.Name, f.Field)
				}
				got[f.Field] = f.Key
			}
		}
		if !maps.Equal(got, c.Errors) {
			t.Errorf("%s: server says %v, table %v", c.Name, got, c.Errors)
		}
	}
}
