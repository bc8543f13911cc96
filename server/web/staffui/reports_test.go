package staffui_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
	"github.com/gehoord/gehoord/server/workdays"
)

const marker = "ZQXMARK"

// reportData fills the desk with cases whose every free text and identity
// carries the marker, their messages, notes, replies and "felt heard"
// reasons too, linked to a theme; it returns the theme and the cases'
// references and ids (which no report may show either).
func reportData(t *testing.T, env *servertest.Env) (theme string, secrets []string) {
	t.Helper()
	ctx := t.Context()
	th, err := env.Deps.Cases.CreateTheme(ctx, "test", "Bank zegt rekeningen op", "business", "Bank Y")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Deps.Cases.SetThemeNote(ctx, th.ID, marker+" internal theme note"); err != nil {
		t.Fatal(err)
	}
	kinds := []string{"complaint", "complaint", "help", "praise"}
	for i := range 14 {
		r := newCase(t, env, func(in *cases.Input) {
			in.Kind = kinds[i%len(kinds)]
			in.Description = fmt.Sprintf("%s description %d", marker, i)
			in.About = marker + " about"
			in.Identity = cases.Identity{Mode: "named", Name: marker + " name", Contact: marker + "@example.org"}
			in.Setting = "window"
		})
		secrets = append(secrets, r.ID, r.Reference, r.Receipt)
		svc := env.Deps.Cases
		if err := svc.LinkTheme(ctx, r.ID, th.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNote(ctx, r.ID, "test", marker+" note"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ReplyToCase(ctx, r.ID, "", marker+" reply"); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			continue
		}
		for _, to := range []cases.State{cases.StateTriage, cases.StateAdvice} {
			if _, err := svc.Transition(ctx, r.ID, "test", to, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.SendMessage(ctx, r.ID, "test", cases.Outgoing{Line: marker + " answer", Answer: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Transition(ctx, r.ID, "test", cases.StateFeedback, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Close(ctx, r.ID, "test", cases.OutcomeResolved); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordHeardCase(ctx, r.ID, i%4 == 0, marker+" reason"); err != nil {
			t.Fatal(err)
		}
	}
	b, err := env.Deps.Cards.Create(ctx, cards.NewBatch{Label: "Ronde centrum", Count: 3, Language: "nl", Variant: cards.VariantPlain, Area: "Utrecht"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Deps.Cards.MarkPrinted(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	return th.ID, secrets
}

// htmlTables reads every published table of a page: data-table id to rows
// of cell texts (label, then the cells as shown).
func htmlTables(t *testing.T, body string) (ids []string, tables map[string][][]string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tables = map[string][][]string{}
	doc.Find("table[data-table]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-table")
		ids = append(ids, id)
		s.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
			var row []string
			tr.Children().Each(func(_ int, c *goquery.Selection) { row = append(row, strings.TrimSpace(c.Text())) })
			tables[id] = append(tables[id], row)
		})
	})
	return ids, tables
}

// csvTables splits an export into its tables: a title line (the only
// lines of one field), a head line, the rows; blank lines between tables
// are skipped by the reader.
func csvTables(t *testing.T, body string) [][][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	var out [][][]string
	var cur [][]string
	for _, rec := range recs {
		if len(rec) == 1 && cur != nil {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, rec)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// sameTables checks that the export holds exactly the page's tables, in
// order, cell for cell (the CSV's title and head lines aside).
func sameTables(t *testing.T, what, page, export string) {
	t.Helper()
	ids, tables := htmlTables(t, page)
	blocks := csvTables(t, export)
	if len(ids) == 0 || len(blocks) != len(ids) {
		t.Fatalf("%s: %d tables on the page, %d in the CSV", what, len(ids), len(blocks))
	}
	for i, id := range ids {
		rows := blocks[i][2:]
		if len(rows) != len(tables[id]) {
			t.Fatalf("%s %s: %d rows on the page, %d in the CSV", what, id, len(tables[id]), len(rows))
		}
		for j := range rows {
			if !slices.Equal(rows[j], tables[id][j]) {
				t.Errorf("%s %s row %d: page %q, CSV %q", what, id, j, tables[id][j], rows[j])
			}
		}
	}
}

func noSecrets(t *testing.T, what, body string, secrets []string) {
	t.Helper()
	if strings.Contains(body, marker) {
		i := strings.Index(body, marker)
		t.Errorf("%s shows free text: …%s…", what, body[max(0, i-80):min(len(body), i+80)])
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s shows a case's id, reference or receipt %q", what, s)
		}
	}
}

// TestReportsShowCountsOnly: the report, the theme report and the
// dashboard, as pages and as CSV, show no free text and no identity
// (every description, name, contact, message, note, reply and reason
// carries a marker), the CSV holds exactly the tables the page shows, and
// each export is in the audit log.
func TestReportsShowCountsOnly(t *testing.T) {
	env := servertest.Start(t)
	theme, secrets := reportData(t, env)
	co := stafftest.SignIn(t, env, "coordinator")
	now := time.Now().In(workdays.Amsterdam)
	month := now.Format("2006-01")
	q := "?kind=month&value=" + month

	pages := []struct{ name, page, export string }{
		{"report", "/staff/reports" + q, "/staff/reports/export.csv" + q},
		{"theme report", "/staff/reports/themes/" + theme + q, "/staff/reports/themes/" + theme + "/export.csv" + q},
		{"dashboard", "/staff/reports/dashboard?month=" + month, "/staff/reports/dashboard/export.csv?month=" + month},
	}
	for _, p := range pages {
		status, body := co.Page(p.page)
		if status != http.StatusOK {
			t.Fatalf("%s: %d\n%.600s", p.name, status, body)
		}
		noSecrets(t, p.name, body, secrets)
		if count(t, body, `svg title[id^="chart-"]`) == 0 {
			t.Errorf("%s: no accessible chart", p.name)
		}
		res := co.Get(p.export)
		csvBody := stafftest.ReadBody(res)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s export: %d %s", p.name, res.StatusCode, res.Header.Get("Content-Type"))
		}
		noSecrets(t, p.name+" CSV", csvBody, secrets)
		sameTables(t, p.name, body, csvBody)
	}
	// The report counts what came in: the theme has 14 cases this month
	// (a theme has no total, so nothing else can hide it) and none last
	// month.
	_, body := co.Page("/staff/reports" + q)
	_, tables := htmlTables(t, body)
	if th := tables["theme"]; len(th) != 1 || th[0][0] != "Bank zegt rekeningen op" || th[0][2] != "14" || th[0][3] != "< 10" {
		t.Errorf("theme table %q", th)
	}
	// Every export is audited, with the coordinator and what was exported.
	entries, err := env.Deps.Audit.List(t.Context(), audit.Filter{Action: audit.ReportsExport})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range entries {
		if e.UserID != co.User.ID {
			t.Errorf("export logged for %q, want %q", e.UserID, co.User.ID)
		}
		details = append(details, e.Detail)
	}
	slices.Sort(details)
	want := []string{"dashboard " + month, "report " + month, "theme " + theme + " " + month}
	if !slices.Equal(details, want) {
		t.Errorf("audited exports %q, want %q", details, want)
	}
}

// TestReportsAreTheCoordinators: handlers and outreach workers do not see
// reports; the theme summary is saved and shown.
func TestReportsAreTheCoordinators(t *testing.T) {
	env := servertest.Start(t)
	for _, role := range []string{"handler", "outreach"} {
		c := stafftest.SignIn(t, env, role)
		for _, p := range []string{"/staff/reports", "/staff/reports/dashboard", "/staff/reports/export.csv"} {
			if res := c.Get(p); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %s answers %d", role, p, res.StatusCode)
			}
		}
	}
	th, err := env.Deps.Cases.CreateTheme(t.Context(), "test", "Bank", "business", "Bank Y")
	if err != nil {
		t.Fatal(err)
	}
	co := stafftest.SignIn(t, env, "coordinator")
	res := co.PostForm("/staff/reports/themes/"+th.ID+"/summary?kind=year&value=2026", url.Values{"summary": {"Banken zeggen rekeningen op; wij vragen de bank om uitleg."}})
	expect(t, res, http.StatusSeeOther, "/staff/reports/themes/"+th.ID+"?kind=year&value=2026&done=saved")
	_, body := co.Page("/staff/reports/themes/" + th.ID + "?kind=year&value=2026")
	if !strings.Contains(body, "wij vragen de bank om uitleg") {
		t.Error("the summary is not on the theme report")
	}
	if status, _ := co.Page("/staff/reports?kind=month&value=2026-13"); status != http.StatusUnprocessableEntity {
		t.Errorf("a bad period answers %d", status)
	}
}
