package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// axeSource reads axe-core from the repository's node_modules (installed by
// `npm ci` from the committed lock file, never from a CDN).
func axeSource() (string, error) {
	axeOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			axeErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				axeErr = fmt.Errorf("browsertest: go.mod not found above the test")
				return
			}
			dir = parent
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("browsertest: axe-core missing (run `npm ci`): %w", err)
			return
		}
		axeSrc = string(b)
	})
	return axeSrc, axeErr
}

// Violation is one axe-core finding.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var nodes []string
	for i, n := range v.Nodes {
		if i == 3 {
			nodes = append(nodes, "…")
			break
		}
		nodes = append(nodes, fmt.Sprint(n.Target)+" "+n.HTML)
	}
	return fmt.Sprintf("%s (%s): %s — %s", v.ID, v.Impact, v.Help, strings.Join(nodes, "; "))
}

// Axe runs axe-core on the current page against WCAG 2.x A and AA (2.2
// included) and returns its violations.
func Axe(ctx context.Context, t testing.TB) []Violation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatal(err)
	}
	var out string
	run := `(async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}, resultTypes: ['violations']}); return JSON.stringify(r.violations); })()`
	err = chromedp.Run(ctx,
		chromedp.Evaluate(src+";0", nil),
		chromedp.Evaluate(run, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("browsertest: run axe: %v", err)
	}
	var v []Violation
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("browsertest: axe result: %v", err)
	}
	return v
}
