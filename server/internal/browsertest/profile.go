package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/chromedp/chromedp"
)

// NewInProfile is New on a user-data dir the test owns and can search once
// the browser is closed: closeBrowser closes it cleanly, so Chromium writes
// out its profile, and waits for it to exit (it also runs at the end of the
// test). The test removes dir itself (t.TempDir).
func NewInProfile(t testing.TB, dir string, extra ...chromedp.ExecAllocatorOption) (ctx context.Context, closeBrowser func()) {
	t.Helper()
	path := Path
	if p := os.Getenv("GEHOORD_CHROMIUM"); p != "" {
		path = p
	}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(dir)}, Flags...)
	opts = append(opts, extra...)
	tctx, cancelT := context.WithTimeout(context.Background(), Timeout)
	actx, cancelA := chromedp.NewExecAllocator(tctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	var once sync.Once
	closeBrowser = func() {
		once.Do(func() {
			// Cancel on the first tab closes the browser gracefully and
			// waits for it.
			_ = chromedp.Cancel(bctx)
			cancelB()
			cancelA()
			cancelT()
		})
	}
	t.Cleanup(closeBrowser)
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("browsertest: start Chromium at %s: %v", path, err)
	}
	return bctx, closeBrowser
}

// FindInProfile searches every regular file under a browser's user-data
// dir, as raw bytes, for each needle: the browser's own stores (the autofill
// table in Default/Web Data, SQLite journals and WALs, LevelDB logs, session
// files, caches) are all just files on a lost tablet. A needle counts as
// found in UTF-8, in lower case (autofill keeps a lower-cased copy), in
// UTF-16LE (LevelDB-backed stores keep some strings that way) and escaped
// as in a URL or a form body (session files keep a form's POST body). needles maps
// a label, safe to log, to the text searched for; the answer lists "label
// in relative/path", sorted. The browser must be closed first, so it has
// written its profile out.
func FindInProfile(t testing.TB, dir string, needles map[string]string) []string {
	t.Helper()
	forms := map[string][][]byte{}
	for label, n := range needles {
		for _, s := range []string{n, strings.ToLower(n)} {
			forms[label] = append(forms[label], []byte(s), utf16LE(s),
				[]byte(url.QueryEscape(s)), []byte(url.PathEscape(s)))
		}
	}
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A file removed while walking (a helper process ending) is
			// not a failure of the search.
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for label, variants := range forms {
			for _, f := range variants {
				if bytes.Contains(data, f) {
					hits = append(hits, label+" in "+rel)
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("browsertest: search profile %s: %v", dir, err)
	}
	sort.Strings(hits)
	return hits
}

func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// ControlPage serves, on an origin of its own, a form as most sites have
// one, to show what Chromium keeps of an ordinary form: a place (#c), a
// user name (#u) and a password (#p) in form #f, sent with fetch when its
// button is clicked, after which the form goes away and #done shows.
// Chromium then keeps the place in its autofill table and offers to save
// the password.
func ControlPage(t testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The POST gets the page too: with an empty answer Chromium 156
		// did not take the form as sent.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>control</title><form id="f">
<label>Plaats <input name="plaats" id="c"></label>
<label>Gebruiker <input name="user" id="u" autocomplete="username"></label>
<label>Wachtwoord <input type="password" name="password" id="p" autocomplete="current-password"></label>
<button type="submit">ok</button></form><p id="done" hidden>ok</p>
<script>f.addEventListener('submit', e => { e.preventDefault();
	fetch('/', {method: 'POST'}).then(() => { f.remove(); done.hidden = false }) })</script>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
