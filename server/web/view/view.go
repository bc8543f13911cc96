// Package view renders server-side HTML pages from embedded templates in
// the visitor's language.
package view

import (
	"bytes"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/workdays"
)

//go:embed layouts/*.html
var layoutFS embed.FS

// User is the signed-in staff member a page is shown to.
type User struct {
	ID, Name, Email, Role string
}

// Data is what every page template gets.
type Data struct {
	Lang   string
	Title  string
	Page   any
	Form   map[string]string
	Errors map[string]string
	CSRF   string
	User   *User
	Flash  string
	// Path is the page's path without the language, for the language chooser.
	Path string
	// Languages the chooser offers (public pages: all public ones).
	Languages []string
	Status    int
	// FieldOrder is the form's fields in the order shown, so the error
	// summary lists the errors in that order too.
	FieldOrder []string
}

// FieldMessage is one field's error, for the error summary.
type FieldMessage struct{ Field, Message string }

// OrderedErrors lists the errors in the order of FieldOrder; errors of
// fields not in it follow, sorted, so none is ever left out.
func (d *Data) OrderedErrors() []FieldMessage {
	out := make([]FieldMessage, 0, len(d.Errors))
	seen := map[string]bool{}
	for _, f := range d.FieldOrder {
		if m, ok := d.Errors[f]; ok && !seen[f] {
			out = append(out, FieldMessage{f, m})
			seen[f] = true
		}
	}
	var rest []string
	for f := range d.Errors {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	for _, f := range rest {
		out = append(out, FieldMessage{f, d.Errors[f]})
	}
	return out
}

// Renderer holds every page, parsed once at start-up.
type Renderer struct {
	pages  map[string]*template.Template
	byLang sync.Map // page|lang → *template.Template
	shared sync.Map // page|lang|path → rendered bytes with marks (Shared)
	cat    *i18n.Catalog
	assets *Assets
	// PublicLanguages is what the chooser of public pages offers.
	PublicLanguages []string
}

// New parses the layouts and every page in the given file systems. Pages
// are *.html files under public/, staff/ or print/; the folder picks the
// layout (print pages are whole documents).
func New(cat *i18n.Catalog, assets *Assets, publicLangs []string, fss ...fs.FS) (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}, cat: cat, assets: assets, PublicLanguages: publicLangs}
	base, err := template.New("base").Funcs(r.funcs("nl")).ParseFS(layoutFS, "layouts/*.html")
	if err != nil {
		return nil, fmt.Errorf("view: parse layouts: %w", err)
	}
	for _, fsys := range fss {
		for _, dir := range []string{"public", "staff", "print"} {
			files, _ := fs.Glob(fsys, dir+"/*.html")
			for _, f := range files {
				name := strings.TrimSuffix(f, ".html")
				if _, dup := r.pages[name]; dup {
					return nil, fmt.Errorf("view: page %s defined twice", name)
				}
				t, err := base.Clone()
				if err != nil {
					return nil, err
				}
				if _, err := t.ParseFS(fsys, f); err != nil {
					return nil, fmt.Errorf("view: parse %s: %w", f, err)
				}
				entry := "layout_" + dir
				if t.Lookup(entry) == nil {
					return nil, fmt.Errorf("view: no layout for %s", f)
				}
				r.pages[name] = t.Lookup(entry)
			}
		}
	}
	if err := checkAssets(assets, append([]fs.FS{layoutFS}, fss...)); err != nil {
		return nil, err
	}
	return r, nil
}

var assetRef = regexp.MustCompile(`asset\s+"([^"]+)"`)

// checkAssets stops start-up when a template names an asset that does not
// exist, so a typo never reaches a visitor as a broken page.
func checkAssets(a *Assets, fss []fs.FS) error {
	for _, fsys := range fss {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			for _, m := range assetRef.FindAllSubmatch(b, -1) {
				if _, err := a.URL(string(m[1])); err != nil {
					return fmt.Errorf("view: %s: %w", p, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *Renderer) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return r.cat.T(lang, key, args...) },
		"n": func(key string, n int, args ...any) string { return r.cat.N(lang, key, n, args...) },
		// tl renders a key in another language (for parts marked with lang).
		"tl":    func(l, key string, args ...any) string { return r.cat.T(l, key, args...) },
		"asset": r.assets.URL,
		"lang":  func() string { return lang },
		// htmllang is the language tag a page or a part declares, which
		// names the script where the catalog code does not (zh-Hans).
		"htmllang": i18n.HTMLLang,
		"langname": func(l string) string {
			return r.cat.Name(l)
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(workdays.Amsterdam).Format("2006-01-02")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(workdays.Amsterdam).Format("2006-01-02 15:04")
		},
		"eq": func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"list": func(v ...string) []string { return v },
		"join": func(parts ...string) string { return strings.Join(parts, "") },
		"receipt": func(s string) string {
			if len(s) != 16 {
				return s
			}
			return s[0:4] + " " + s[4:8] + " " + s[8:12] + " " + s[12:16]
		},
		"dir": func(l string) string { return "ltr" },
		// nonce is a fresh random value per use, for addresses a browser
		// must fetch anew on every page: a mark here, replaced by Render, so
		// a page rendered once can still get a new value every time.
		"nonce": func() string { return nonceMark },
	}
}

func (r *Renderer) render(page string, d *Data) ([]byte, error) {
	t, ok := r.pages[page]
	if !ok {
		return nil, fmt.Errorf("view: no page %q", page)
	}
	tc, err := r.bound(page, t, d.Lang)
	if err != nil {
		return nil, err
	}
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if d.Languages == nil {
		d.Languages = r.PublicLanguages
	}
	var buf bytes.Buffer
	if err := tc.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("view: render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// bound returns the page with t/n bound to lang. Each language gets its
// own clone, made once: swapping the functions of one shared template per
// request could render another request's language under concurrency, and
// cloning on every request costs more than rendering.
func (r *Renderer) bound(page string, t *template.Template, lang string) (*template.Template, error) {
	key := page + "|" + lang
	if v, ok := r.byLang.Load(key); ok {
		return v.(*template.Template), nil
	}
	// The clone's functions outlive this request: they must hold a copy of
	// lang, never the request's memory (Fiber reuses it for the next one).
	lang = strings.Clone(lang)
	tc, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("view: clone %s: %w", page, err)
	}
	tc.Funcs(r.funcs(lang))
	if !r.cat.HasLanguage(lang) {
		return tc, nil // not cached: no request can grow the cache
	}
	v, _ := r.byLang.LoadOrStore(key, tc)
	return v.(*template.Template), nil
}

// Render writes a page as the response.
func (r *Renderer) Render(c *fiber.Ctx, status int, page string, d *Data) error {
	if d.Path == "" {
		d.Path = pathWithoutLang(c.Path(), d.Lang)
	}
	d.Status = status
	if d.CSRF == "" {
		if v, ok := c.Locals("csrf").(string); ok {
			d.CSRF = v
		}
	}
	if d.User == nil {
		if u, ok := c.Locals("view_user").(*User); ok {
			d.User = u
		}
	}
	b, err := r.render(page, d)
	if err != nil {
		return err
	}
	return r.send(c, status, page, b, nil)
}

// Marks stand in a shared page for what differs per request: upper-case
// letters only, so no escaper of html/template changes them.
const (
	nonceMark = "GHMARKNONCEQZX"
	// FormIDMark, FormTokenMark and FormCardMark are what a shared intake
	// form carries in place of its id, signature and card code.
	FormIDMark    = "GHMARKFORMIDQZX"
	FormTokenMark = "GHMARKTOKENQZX"
	FormCardMark  = "GHMARKCARDQZX"
)

// Shared writes a page that is the same for every visitor of this address
// apart from the marks in fill: rendered once per page, language and path,
// then served from memory with the marks replaced. Public pages that depend
// on nothing of the request are most of what a card's visitor loads, and
// rendering the intake form's 342 municipalities for each of them cost far
// more than sending it. Values in fill go into quoted attributes and are
// escaped here.
func (r *Renderer) Shared(c *fiber.Ctx, page string, d *Data, fill map[string]string) error {
	if !r.cat.HasLanguage(d.Lang) {
		return r.Render(c, fiber.StatusOK, page, d)
	}
	// The route's own path, not the request's: /en/REPORT and /en/report
	// are one page, and no request can grow the cache.
	d.Path = pathWithoutLang(c.Route().Path, d.Lang)
	key := page + "|" + d.Lang + "|" + d.Path
	v, ok := r.shared.Load(key)
	if !ok {
		d.Status = fiber.StatusOK
		b, err := r.render(page, d)
		if err != nil {
			return err
		}
		v, _ = r.shared.LoadOrStore(key, b)
	}
	return r.send(c, fiber.StatusOK, page, v.([]byte), fill)
}

func (r *Renderer) send(c *fiber.Ctx, status int, page string, b []byte, fill map[string]string) error {
	b = fillMarks(b, fill)
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	if strings.HasPrefix(page, "public/") {
		// No public page is kept: on a shared phone a stored page can show
		// what she looked at, and Back must ask the server again.
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Send(b)
}

// fillMarks gives every nonce mark its own fresh value and puts fill's
// values, escaped for a quoted attribute, in place of their marks. It
// always returns a new slice: Fiber sends the slice it is given as it is,
// and a shared page must never be handed out to be written into.
func fillMarks(b []byte, fill map[string]string) []byte {
	out := make([]byte, 0, len(b)+64)
	for {
		i := bytes.Index(b, []byte(nonceMark))
		if i < 0 {
			break
		}
		out = append(out, b[:i]...)
		out = append(out, rand.Text()...)
		b = b[i+len(nonceMark):]
	}
	out = append(out, b...)
	for mark, v := range fill {
		out = bytes.ReplaceAll(out, []byte(mark), []byte(template.HTMLEscapeString(v)))
	}
	return out
}

func pathWithoutLang(p, lang string) string {
	if rest, ok := strings.CutPrefix(p, "/"+lang); ok && lang != "" && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return p
}

// Sub returns the "templates" folder of a handler package's embedded
// files, the root view.New expects (public/, staff/, print/ below it).
func Sub(embedded fs.FS) fs.FS {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid path; "templates" is valid
	}
	return sub
}
