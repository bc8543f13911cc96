package socialmap

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Columns are the CSV columns, in the order Export writes them. Lists
// (topics, regions, municipalities, languages) are separated by ";" or "|"
// inside a cell; booleans are yes/no (also ja/nee, true/false, 1/0).
var Columns = []string{
	"key", "name", "about", "topics", "regions", "municipalities", "languages",
	"phone", "web", "email", "address", "walk_in", "hours", "evening",
	"by_sex_workers", "verified_on", "retired", "text_lang",
}

// textFields are the texts an entry may have in other languages: in a
// file, a column per field and language ("about.ro", "walk_in.ro",
// "hours.ro"), after Columns.
var textFields = []string{"about", "walk_in", "hours"}

// textColumn reads a folded header ("about_ro") as a text field and a
// two-letter language.
func textColumn(name string) (field, lang string, ok bool) {
	for _, f := range textFields {
		if l, found := strings.CutPrefix(name, f+"_"); found && len(l) == 2 && strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") == "" {
			return f, l, true
		}
	}
	return "", "", false
}

func (t *LocalText) field(f string) *string {
	switch f {
	case "about":
		return &t.About
	case "walk_in":
		return &t.WalkIn
	}
	return &t.Hours
}

//go:embed sample.csv
var sampleCSV []byte

// SampleCSV returns the sample file with the national organisations, each
// marked "to verify"; importing it is how a fresh desk starts its map.
func SampleCSV() []byte { return append([]byte(nil), sampleCSV...) }

// MaxImportRows bounds one import; the map has hundreds of entries.
const MaxImportRows = 5000

// ImportProblem is one row (or the header) that was not imported.
type ImportProblem struct {
	Line  int    // line in the file, 1-based
	Key   string // the row's key, if any
	Field string // the column, if one is at fault
	Msg   string // catalog key ("socialmap.error.*" or "socialmap.import.*")
	Value string // for the {value} placeholder
}

// ImportResult counts what an import did. Rows with problems are skipped;
// every other row is saved, so one bad row never loses the rest.
type ImportResult struct {
	Created   int
	Updated   int
	Unchanged int
	Problems  []ImportProblem
}

// Import reads a CSV file (comma or semicolon separated, UTF-8, optionally
// with a byte-order mark as Excel writes it) and creates or updates one
// organisation per row by its key. Columns missing from the file keep
// their stored values. It returns an error only when the database fails.
func (s *Service) Import(ctx context.Context, r io.Reader) (ImportResult, error) {
	var res ImportResult
	data, err := io.ReadAll(r)
	if err != nil {
		return res, fmt.Errorf("socialmap: import: read: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = detectComma(data)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err != nil {
		res.Problems = append(res.Problems, ImportProblem{Line: 1, Msg: "socialmap.import.no_header"})
		return res, nil
	}
	col := make(map[string]int, len(header))
	var textCols []string
	for i, h := range header {
		name := strings.ReplaceAll(Fold(h), " ", "_")
		if _, _, ok := textColumn(name); !ok && !contains(Columns, name) {
			res.Problems = append(res.Problems, ImportProblem{Line: 1, Field: h, Msg: "socialmap.import.unknown_column", Value: h})
			continue
		}
		col[name] = i
		if _, _, ok := textColumn(name); ok {
			textCols = append(textCols, name)
		}
	}
	if _, ok := col["key"]; !ok {
		res.Problems = append(res.Problems, ImportProblem{Line: 1, Msg: "socialmap.import.no_key_column"})
		return res, nil
	}

	seen := make(map[string]int)
	for rows := 0; ; rows++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := 0
		if err == nil {
			// FieldPos panics after a failed Read (found by FuzzCSVImport).
			line, _ = cr.FieldPos(0)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			res.Problems = append(res.Problems, ImportProblem{Line: line, Msg: "socialmap.import.syntax"})
			break
		}
		if rows >= MaxImportRows {
			res.Problems = append(res.Problems, ImportProblem{Line: line, Msg: "socialmap.import.too_many_rows", Value: fmt.Sprint(MaxImportRows)})
			break
		}
		if blank(rec) {
			continue
		}
		cell := func(name string) (string, bool) {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return "", false
			}
			return unescapeCell(strings.TrimSpace(rec[i])), true
		}
		key, _ := cell("key")
		key = strings.ToLower(key)
		if key == "" {
			if name, ok := cell("name"); ok {
				key = Slug(name)
			}
		}
		if first, dup := seen[key]; dup && key != "" {
			res.Problems = append(res.Problems, ImportProblem{Line: line, Key: key, Field: "key", Msg: "socialmap.import.duplicate_key", Value: fmt.Sprint(first)})
			continue
		}
		seen[key] = line

		old, err := s.Get(ctx, key)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return res, err
		}
		o := old
		o.Key = key
		if !exists {
			o = Organisation{Key: key}
		}
		var bad []ImportProblem
		apply(&o, cell, textCols, func(field, value string) {
			bad = append(bad, ImportProblem{Line: line, Key: key, Field: field, Msg: "socialmap.import.bool", Value: value})
		})
		for _, fe := range o.Normalize() {
			bad = append(bad, ImportProblem{Line: line, Key: key, Field: fe.Field, Msg: fe.Key, Value: Value(fe)})
		}
		if len(bad) > 0 {
			res.Problems = append(res.Problems, bad...)
			continue
		}
		switch {
		case !exists:
			retired := o.Retired
			created, err := s.Create(ctx, o)
			if err != nil {
				return res, err
			}
			if retired {
				if err := s.Retire(ctx, created.Key, true); err != nil {
					return res, err
				}
			}
			res.Created++
		case sameContent(old, o):
			res.Unchanged++
		default:
			if _, err := s.Update(ctx, o); err != nil {
				return res, err
			}
			res.Updated++
		}
	}
	return res, nil
}

// apply copies the cells that are present onto o.
func apply(o *Organisation, cell func(string) (string, bool), textCols []string, badBool func(field, value string)) {
	text := map[string]*string{
		"name": &o.Name, "about": &o.About, "phone": &o.Phone, "web": &o.Web, "email": &o.Email,
		"address": &o.Address, "walk_in": &o.WalkIn, "hours": &o.Hours, "verified_on": &o.VerifiedOn,
		"text_lang": &o.TextLang,
	}
	for name, p := range text {
		if v, ok := cell(name); ok {
			*p = v
		}
	}
	// A copy: the stored entry's map must stay as it was, to compare.
	texts := make(map[string]LocalText, len(o.Texts))
	for l, t := range o.Texts {
		texts[l] = t
	}
	for _, name := range textCols {
		if v, ok := cell(name); ok {
			f, l, _ := textColumn(name)
			t := texts[l]
			*t.field(f) = v
			texts[l] = t
		}
	}
	o.Texts = texts
	lists := map[string]*[]string{
		"topics": &o.Topics, "regions": &o.Regions, "municipalities": &o.Municipalities, "languages": &o.Languages,
	}
	for name, p := range lists {
		if v, ok := cell(name); ok {
			*p = SplitList(v)
		}
	}
	bools := map[string]*bool{"evening": &o.Evening, "by_sex_workers": &o.BySexWorkers, "retired": &o.Retired}
	for name, p := range bools {
		if v, ok := cell(name); ok {
			b, valid := ParseBool(v)
			if !valid {
				badBool(name, v)
				continue
			}
			*p = b
		}
	}
}

// ParseBool reads yes/no in English and Dutch, true/false, 1/0, x; empty is no.
func ParseBool(s string) (value, ok bool) {
	switch Fold(s) {
	case "yes", "y", "ja", "j", "true", "1", "x", "on", "waar":
		return true, true
	case "", "no", "n", "nee", "false", "0", "off", "onwaar":
		return false, true
	}
	return false, false
}

func sameContent(a, b Organisation) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	norm := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		return l
	}
	for _, o := range []*Organisation{&a, &b} {
		o.Topics, o.Regions, o.Municipalities, o.Languages = norm(o.Topics), norm(o.Regions), norm(o.Municipalities), norm(o.Languages)
	}
	return reflect.DeepEqual(a, b)
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// detectComma picks ";" when the header line has more semicolons than
// commas: Dutch spreadsheet programs save CSV with semicolons.
func detectComma(data []byte) rune {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.Count(line, ";") > strings.Count(line, ",") {
			return ';'
		}
		return ','
	}
	return ','
}

// Export writes every organisation, retired ones included, sorted by key,
// in the columns of Columns.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	all, err := s.find(ctx, bson.D{})
	if err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	// A column per text field for each language some entry has texts in.
	var langs []string
	for _, o := range all {
		for l := range o.Texts {
			if !contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	sort.Strings(langs)
	header := append([]string(nil), Columns...)
	for _, l := range langs {
		for _, f := range textFields {
			header = append(header, f+"."+l)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("socialmap: export: %w", err)
	}
	for _, o := range all {
		rec := Record(o)
		for _, l := range langs {
			t := o.Texts[l]
			for _, f := range textFields {
				rec = append(rec, escapeCell(*t.field(f)))
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("socialmap: export: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("socialmap: export: %w", err)
	}
	return nil
}

// Record is one organisation as a CSV row in the order of Columns (its
// texts in other languages follow in Export, per language present).
func Record(o Organisation) []string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	verified := o.VerifiedOn
	if verified == "" {
		verified = ToVerify
	}
	rec := []string{
		o.Key, o.Name, o.About, strings.Join(o.Topics, ";"), strings.Join(o.Regions, ";"),
		strings.Join(o.Municipalities, ";"), strings.Join(o.Languages, ";"),
		o.Phone, o.Web, o.Email, o.Address, o.WalkIn, o.Hours, yn(o.Evening),
		yn(o.BySexWorkers), verified, yn(o.Retired), o.TextLang,
	}
	for i := range rec {
		rec[i] = escapeCell(rec[i])
	}
	return rec
}

// escapeCell keeps a spreadsheet from running a cell as a formula
// (CSV injection): a cell starting with = + - @ gets a leading quote,
// which unescapeCell removes again on import. Phone numbers like
// "+31 20 ..." therefore round-trip unchanged.
func escapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}
