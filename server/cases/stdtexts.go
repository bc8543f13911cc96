package cases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/store"
)

// StandardText is a message the desk often sends. Its starting wording is
// in the catalogs as std.<name>.body in every public language, so the
// corrections made there reach every desk that did not reword the text;
// coordinators can reword a text per language (kept in the std_texts
// collection, see Service.SaveText) and change where it fits. States,
// Categories and Kinds say where the text fits (empty: everywhere).
type StandardText struct {
	Name       string
	States     []State
	Categories []string
	Kinds      []string
	// Answer marks the desk's reasoned answer: sending it counts as the
	// explanation an "unfounded" outcome needs.
	Answer bool
}

// Key is the catalog key of the text's body ({reference} may appear).
func (t StandardText) Key() string {
	if t.Name == TextAck.Name {
		return "std.ack" // older than the std.<name>.body scheme
	}
	return "std." + t.Name + ".body"
}

// Fits says whether the text is meant for a case in its current state,
// category and kind.
func (t StandardText) Fits(c *Case) bool {
	return (len(t.States) == 0 || slices.Contains(t.States, c.State)) &&
		(len(t.Categories) == 0 || slices.Contains(t.Categories, c.Category)) &&
		(len(t.Kinds) == 0 || slices.Contains(t.Kinds, c.Kind))
}

var routesAnd = func(extra ...State) []State { return append(slices.Clone(Routes), extra...) }

// TextExtended is sent by Extend ({date} is the new answer deadline).
var TextExtended = StandardText{Name: "extended"}

// TextAck is the acknowledgement sent when a case comes in.
var TextAck = StandardText{Name: "ack"}

// StandardTexts is the starting set staff can pick, in picker order.
var StandardTexts = []StandardText{
	{Name: "reading", States: []State{StateReceived, StateTriage, StateReopened}},
	{Name: "more_info", States: routesAnd(StateTriage, StateReplyReceived, StateReopened)},
	{Name: "route_listening", States: []State{StateListening}},
	{Name: "route_advice", States: []State{StateAdvice}},
	{Name: "route_intervention", States: []State{StateIntervention}},
	{Name: "route_mediation", States: []State{StateMediation}},
	{Name: "route_investigation", States: []State{StateInvestigation}},
	{Name: "route_referred", States: []State{StateReferred}},
	{Name: "declined", States: []State{StateDeclined, StateFeedback}, Answer: true},
	{Name: "listen_thanks", States: []State{StateReceived, StateTriage, StateListening}, Kinds: []string{"listen"}},
	{Name: "help_received", States: []State{StateReceived, StateTriage, StateReferred, StateAdvice}, Kinds: []string{"help"}},
	{Name: "question_answer", States: routesAnd(StateTriage, StateFeedback, StateReplyReceived), Kinds: []string{"question"}, Answer: true},
	{Name: "praise_thanks", States: []State{StateReceived, StateTriage, StateListening, StateFeedback}, Kinds: []string{"praise"}},
	{Name: "police_rights", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"police"}},
	{Name: "bank_account", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"business.bank"}},
	{Name: "tax_registration", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"government.tax", "government.kvk"}},
	{Name: "operator_rights", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"operator.pay", "operator.conditions", "operator.coercion", "operator.harassment", "operator.dismissal"}},
	{Name: "housing_benefits", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"exit.housing", "exit.benefits"}},
	{Name: "landlord_rent", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"landlord.rent"}},
	{Name: "officials_visit", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"government.municipality", "government.enforcement"}},
	{Name: "online_images", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"online.images"}},
	{Name: "reminder", States: []State{StateWaitingForReply}},
	{Name: "reply_thanks", States: []State{StateReplyReceived}},
	{Name: "answer", States: routesAnd(StateFeedback, StateReplyReceived), Answer: true},
	{Name: "unfounded", States: routesAnd(StateFeedback, StateReplyReceived), Answer: true},
	{Name: "closing", States: []State{StateFeedback}},
	{Name: "reopened", States: []State{StateReopened, StateReopenRequested}},
}

// AllTexts is every built-in standard text, including those sent
// automatically.
func AllTexts() []StandardText { return append(slices.Clone(StandardTexts), TextAck, TextExtended) }

// TextByName finds a built-in standard text.
func TextByName(name string) (StandardText, bool) {
	for _, t := range AllTexts() {
		if t.Name == name {
			return t, true
		}
	}
	return StandardText{}, false
}

const collectionTexts = "std_texts"

// TextBody is one language's wording of a text as a coordinator saved it.
type TextBody struct {
	Body string `bson:"body"`
	// Based is the Dutch revision this wording was written against: when
	// the Dutch text changes later, the translation needs another look.
	Based int       `bson:"based"`
	At    time.Time `bson:"at"`
	By    string    `bson:"by"`
}

// textDoc is a text the desk changed or added, as stored.
type textDoc struct {
	ID         string              `bson:"_id"` // the text's name
	Title      string              `bson:"title"`
	States     []State             `bson:"states"`
	Categories []string            `bson:"categories"`
	Kinds      []string            `bson:"kinds"`
	Answer     bool                `bson:"answer"`
	Custom     bool                `bson:"custom"` // added by the desk, not in the catalogs
	Retired    bool                `bson:"retired"`
	NLRev      int                 `bson:"nl_rev"` // raised each time the Dutch wording changes
	Bodies     map[string]TextBody `bson:"bodies"`
	// History keeps the wordings replaced, newest first (at most
	// textHistoryMax), so the desk can see what a text said before.
	History   []TextVersion `bson:"history"`
	UpdatedAt time.Time     `bson:"updated_at"`
	UpdatedBy string        `bson:"updated_by"`
}

// TextVersion is an earlier wording of a text in one language ("" body:
// the catalog's wording applied).
type TextVersion struct {
	Lang string    `bson:"lang"`
	Body string    `bson:"body"`
	At   time.Time `bson:"at"` // when it was replaced
	By   string    `bson:"by"` // who replaced it
}

const textHistoryMax = 100

// Text is a standard text as the desk has it now: the built-in defaults
// overlaid with the coordinators' changes.
type Text struct {
	StandardText
	// Title names a text the desk added (built-in texts are named by the
	// catalog key staff.std.<name>).
	Title   string
	Custom  bool
	Retired bool
	// Edited lists the languages whose wording the desk changed.
	Edited map[string]bool
	// Stale lists the languages whose wording predates the current Dutch
	// one: they need translation.
	Stale     map[string]bool
	UpdatedAt time.Time
	UpdatedBy string
	// History: earlier wordings, newest first.
	History []TextVersion

	bodies map[string]TextBody
}

// Automatic says whether the desk sends the text itself (the
// acknowledgement, the extension notice): its wording is managed, it is
// never picked.
func (t Text) Automatic() bool { return t.Name == TextExtended.Name || t.Name == TextAck.Name }

// Body is the text's wording in lang as saved, or "" when the catalog's
// wording applies.
func (t Text) Body(lang string) string { return t.bodies[lang].Body }

func (d textDoc) text(base StandardText) Text {
	t := Text{StandardText: base, Title: d.Title, Custom: d.Custom, Retired: d.Retired, bodies: d.Bodies,
		Edited: map[string]bool{}, Stale: map[string]bool{}, UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy, History: d.History}
	if d.ID != "" {
		t.States, t.Categories, t.Kinds, t.Answer = d.States, d.Categories, d.Kinds, d.Answer
	}
	for l, b := range d.Bodies {
		if b.Body != "" {
			t.Edited[l] = true
		}
	}
	for _, l := range PublicLanguages {
		// A translation from the catalog is based on the catalog's Dutch
		// (revision 0); a saved one on the revision it was saved against.
		if l != "nl" && d.Bodies[l].Based < d.NLRev {
			t.Stale[l] = true
		}
	}
	return t
}

// Texts returns every standard text (retired ones too, marked), built-in
// first in their order (the automatic extension notice last of those),
// then the desk's own by title.
func (s *Service) Texts(ctx context.Context) ([]Text, error) {
	cur, err := s.st.C(collectionTexts).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "title", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("cases: standard texts: %w", err)
	}
	var docs []textDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("cases: standard texts: %w", err)
	}
	byName := map[string]textDoc{}
	for _, d := range docs {
		byName[d.ID] = d
	}
	var out []Text
	for _, b := range AllTexts() {
		out = append(out, byName[b.Name].text(b))
	}
	for _, d := range docs {
		if d.Custom {
			out = append(out, d.text(StandardText{Name: d.ID}))
		}
	}
	return out, nil
}

// Text returns one standard text (also the automatic ones), or
// ErrUnknownText.
func (s *Service) Text(ctx context.Context, name string) (Text, error) {
	base, builtin := TextByName(name)
	var d textDoc
	err := s.st.C(collectionTexts).FindOne(ctx, bson.M{"_id": name}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		if !builtin {
			return Text{}, ErrUnknownText
		}
		return textDoc{}.text(base), nil
	case err != nil:
		return Text{}, fmt.Errorf("cases: standard text %s: %w", name, err)
	case !builtin && !d.Custom:
		return Text{}, ErrUnknownText
	}
	if !builtin {
		base = StandardText{Name: d.ID}
	}
	return d.text(base), nil
}

// TextsFor returns the texts meant for the case as it is now (its state,
// category and kind), in picker order. Only these may be sent to it.
func (s *Service) TextsFor(ctx context.Context, c *Case) ([]Text, error) {
	all, err := s.Texts(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(t Text) bool { return t.Retired || t.Automatic() || !t.Fits(c) }), nil
}

// RenderText is text name in lang with its placeholders filled: the
// desk's wording when saved for lang, else the catalog's (which falls
// back as the catalog does).
func (s *Service) RenderText(t Text, lang string, args ...string) string {
	body := t.Body(lang)
	if body == "" && t.Custom {
		// A text of the desk's own: Dutch, then English, until translated.
		if body = t.Body("nl"); body == "" {
			body = t.Body("en")
		}
	}
	if body == "" {
		anys := make([]any, len(args))
		for i, a := range args {
			anys[i] = a
		}
		return s.texts.T(lang, t.Key(), anys...)
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(body)
}

// offered returns the text if it is meant for the case now, else
// ErrTextNotOffered (ErrUnknownText when there is no such text).
func (s *Service) offered(ctx context.Context, c *Case, name string) (Text, error) {
	t, err := s.Text(ctx, name)
	if err != nil {
		return Text{}, err
	}
	if t.Retired || t.Automatic() || !t.Fits(c) {
		return Text{}, ErrTextNotOffered
	}
	return t, nil
}

// Compose renders what she will read: the standard text in her language
// and the personal line under it. A standard text that is not meant for
// the case's current state (or category, or kind) is refused.
func (s *Service) Compose(ctx context.Context, c *Case, o Outgoing) (string, error) {
	body, _, err := s.compose(ctx, c, o)
	return body, err
}

// compose is Compose, also saying whether the text is a reasoned answer.
func (s *Service) compose(ctx context.Context, c *Case, o Outgoing) (string, bool, error) {
	var parts []string
	answer := false
	if o.Text != "" {
		t, err := s.offered(ctx, c, o.Text)
		if err != nil {
			return "", false, err
		}
		answer = t.Answer
		parts = append(parts, s.RenderText(t, c.Language, "reference", c.Reference))
	}
	if l := strings.TrimSpace(strings.ReplaceAll(o.Line, "\r\n", "\n")); l != "" {
		parts = append(parts, l)
	}
	body, err := cleanText(strings.Join(parts, "\n\n"), MaxMessage)
	return body, answer, err
}

// Errors of managing standard texts.
var (
	// ErrTextNotOffered: the text is not meant for the case's current
	// state, category or kind.
	ErrTextNotOffered = fault.New(fault.Invalid, "staff.case.error.text_not_offered", "cases: this standard text is not meant for the case as it is now")
	// ErrTextName: a new text needs a name of lower-case letters, digits
	// and underscores, not used before.
	ErrTextName = fault.New(fault.Invalid, "staff.texts.error.name", "cases: a standard text needs a new name (a-z, 0-9, _)")
	// ErrTextInvalid: a state, category, kind or language that does not exist.
	ErrTextInvalid = fault.New(fault.Invalid, "staff.texts.error.invalid", "cases: unknown state, category, kind or language")
)

// TextEdit is a coordinator's change of a standard text. Bodies holds the
// wording per language; a language left out keeps what it had, an empty
// wording goes back to the catalog's.
type TextEdit struct {
	Name       string
	Title      string // texts of the desk's own
	States     []State
	Categories []string
	Kinds      []string
	Answer     bool
	Retired    bool
	Bodies     map[string]string
}

var textNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

func (e TextEdit) validate() error {
	for _, st := range e.States {
		if !st.Valid() {
			return ErrTextInvalid
		}
	}
	for _, k := range e.Kinds {
		if !slices.Contains(Kinds, k) {
			return ErrTextInvalid
		}
	}
	for _, cat := range e.Categories {
		if !slices.ContainsFunc(Categories, func(c Category) bool { return c.ID == cat }) {
			return ErrTextInvalid
		}
	}
	for l, b := range e.Bodies {
		if !slices.Contains(PublicLanguages, l) {
			return ErrTextInvalid
		}
		if _, err := cleanText(b, MaxMessage); errors.Is(err, ErrTooLong) {
			return err
		}
	}
	return nil
}

// AddText adds a text of the desk's own (name, title and its Dutch
// wording at least).
func (s *Service) AddText(ctx context.Context, actor string, e TextEdit) error {
	if !textNameRe.MatchString(e.Name) {
		return ErrTextName
	}
	if _, builtin := TextByName(e.Name); builtin {
		return ErrTextName
	}
	title, err := cleanText(e.Title, MaxShort)
	if err != nil {
		return err
	}
	if strings.TrimSpace(e.Bodies["nl"]) == "" {
		return ErrEmpty
	}
	if err := e.validate(); err != nil {
		return err
	}
	doc := textDoc{ID: e.Name, Title: title, Custom: true, Bodies: map[string]TextBody{}, UpdatedAt: s.now().UTC(), UpdatedBy: actor,
		States: nonNil(e.States), Categories: nonNil(e.Categories), Kinds: nonNil(e.Kinds), Answer: e.Answer}
	if err := s.st.Insert(ctx, collectionTexts, doc); err != nil {
		if store.IsDuplicate(err) {
			return ErrTextName
		}
		return fmt.Errorf("cases: add standard text: %w", err)
	}
	return s.SaveText(ctx, actor, e)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// SaveText stores a coordinator's change of a text: where it fits and its
// wording per language. A changed Dutch wording raises the text's Dutch
// revision, so every translation not saved with it shows as needing
// translation; a translation saved now counts as made from the current
// Dutch. The read-decide-write is one step of the store, so two
// coordinators saving at once never lose a language.
func (s *Service) SaveText(ctx context.Context, actor string, e TextEdit) error {
	base, builtin := TextByName(e.Name)
	if err := e.validate(); err != nil {
		return err
	}
	if builtin {
		// The first change copies the defaults into the collection.
		doc := textDoc{ID: e.Name, States: nonNil(base.States), Categories: nonNil(base.Categories), Kinds: nonNil(base.Kinds),
			Answer: base.Answer, Bodies: map[string]TextBody{}, UpdatedAt: s.now().UTC()}
		if err := s.st.Insert(ctx, collectionTexts, doc); err != nil && !store.IsDuplicate(err) {
			return fmt.Errorf("cases: save standard text: %w", err)
		}
	}
	var title string
	if strings.TrimSpace(e.Title) != "" {
		var err error
		if title, err = cleanText(e.Title, MaxShort); err != nil {
			return err
		}
	}
	now := s.now().UTC()
	ok, err := s.st.Change(ctx, collectionTexts, e.Name, func(cur bson.Raw) (any, error) {
		var d textDoc
		if err := bson.Unmarshal(cur, &d); err != nil {
			return nil, err
		}
		if !builtin && !d.Custom {
			return nil, ErrUnknownText
		}
		if nl, ok := e.Bodies["nl"]; ok && d.Custom && strings.TrimSpace(nl) == "" {
			return nil, ErrEmpty // the desk's own text has no catalog wording to fall back on
		}
		set := bson.M{"states": nonNil(e.States), "categories": nonNil(e.Categories), "kinds": nonNil(e.Kinds),
			"answer": e.Answer, "retired": e.Retired, "updated_at": now, "updated_by": actor}
		if d.Custom && title != "" {
			set["title"] = title
		}
		if (Text{StandardText: base}).Automatic() {
			// Sent by the desk itself, never picked: only its wording changes.
			set = bson.M{"updated_at": now, "updated_by": actor}
		}
		rev := d.NLRev
		if nl, ok := e.Bodies["nl"]; ok && s.changedWording(d, e.Name, "nl", nl) {
			rev++
			set["nl_rev"] = rev
		}
		history := slices.Clone(d.History)
		for _, l := range PublicLanguages {
			b, ok := e.Bodies[l]
			if !ok {
				continue
			}
			b = strings.TrimSpace(strings.ReplaceAll(b, "\r\n", "\n"))
			if !s.changedWording(d, e.Name, l, b) {
				continue
			}
			history = append([]TextVersion{{Lang: l, Body: d.Bodies[l].Body, At: now, By: actor}}, history...)
			if b == "" && !d.Custom {
				// Back to the catalog's wording, which is made from the
				// catalog's Dutch.
				set["bodies."+l] = TextBody{Based: 0, At: now, By: actor}
				continue
			}
			set["bodies."+l] = TextBody{Body: b, Based: rev, At: now, By: actor}
		}
		if len(history) != len(d.History) {
			set["history"] = history[:min(len(history), textHistoryMax)]
		}
		return bson.M{"$set": set}, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return ErrUnknownText
	}
	return nil
}

// changedWording says whether b differs from what lang shows now (the
// saved wording, else the catalog's).
func (s *Service) changedWording(d textDoc, name, lang, b string) bool {
	b = strings.TrimSpace(strings.ReplaceAll(b, "\r\n", "\n"))
	cur := d.Bodies[lang].Body
	if cur == "" && !d.Custom && s.texts != nil {
		if b == "" {
			return false
		}
		cur = s.texts.T(lang, StandardText{Name: name}.Key())
	}
	return strings.TrimSpace(cur) != b
}

// CatalogText is the catalog's wording of a built-in text in lang, with
// its placeholders unfilled (what a coordinator starts from).
func (s *Service) CatalogText(name, lang string) string {
	if _, ok := TextByName(name); !ok {
		return ""
	}
	return s.texts.T(lang, StandardText{Name: name}.Key())
}

// ackTemplate is the acknowledgement's wording, read once for the cases
// created together.
func (s *Service) ackTemplate(ctx context.Context) Text {
	t, err := s.Text(ctx, TextAck.Name)
	if err != nil {
		// The catalog's wording: the acknowledgement must go out.
		s.log.Error("cases: standard text ack", "err", err)
		t = textDoc{}.text(TextAck)
	}
	return t
}

// ackText is the acknowledgement sent at intake, in the desk's wording.
func (s *Service) ackText(t Text, c *Case) string {
	return s.RenderText(t, c.Language, "reference", c.Reference)
}

// extendedNotice is the notice Extend sends, in the desk's wording.
func (s *Service) extendedNotice(ctx context.Context, c *Case, due string) string {
	t, err := s.Text(ctx, TextExtended.Name)
	if err != nil {
		// The catalog's wording: the notice must go out with the extension.
		s.log.Error("cases: standard text extended", "err", err)
		t = textDoc{}.text(TextExtended)
	}
	return s.RenderText(t, c.Language, "reference", c.Reference, "date", due)
}

// ThemeAnswer is what answering a theme's cases with one text did (or,
// for a preview, would do): the cases it goes to and those it skips
// because the text is not meant for them as they are now.
type ThemeAnswer struct {
	Send, Skip []Case
}

// PlanThemeAnswer says which of the theme's cases text name would go to.
func (s *Service) PlanThemeAnswer(ctx context.Context, themeID, name string) (ThemeAnswer, error) {
	var a ThemeAnswer
	if _, err := s.Text(ctx, name); err != nil {
		return a, err
	}
	list, err := s.ThemeCases(ctx, themeID)
	if err != nil {
		return a, err
	}
	for _, c := range list {
		if _, err := s.offered(ctx, &c, name); err == nil && !c.Erased {
			a.Send = append(a.Send, c)
		} else {
			a.Skip = append(a.Skip, c)
		}
	}
	return a, nil
}

// AnswerTheme sends text name to every case of the theme it is meant for,
// each in the complainant's own language, in one step. A case that changed
// meanwhile so that the text no longer fits is skipped, not sent.
func (s *Service) AnswerTheme(ctx context.Context, themeID, actor, name string) (ThemeAnswer, error) {
	plan, err := s.PlanThemeAnswer(ctx, themeID, name)
	if err != nil {
		return plan, err
	}
	done := ThemeAnswer{Skip: plan.Skip}
	for _, c := range plan.Send {
		if _, err := s.SendMessage(ctx, c.ID, actor, Outgoing{Text: name}); err != nil {
			if errors.Is(err, ErrTextNotOffered) {
				done.Skip = append(done.Skip, c)
				continue
			}
			return done, err
		}
		done.Send = append(done.Send, c)
	}
	return done, nil
}
