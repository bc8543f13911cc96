package cases

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gehoord/gehoord/server/fault"
)

// Kind says what the worker brings to the desk.
type Kind string

// The kinds of report; the form asks in plain words.
const (
	KindComplaint Kind = "complaint"
	KindHelp      Kind = "help"
	KindQuestion  Kind = "question"
	KindListen    Kind = "listen"
	KindPraise    Kind = "praise"
)

// Kinds lists every kind in the order the form shows them.
var Kinds = []string{"complaint", "help", "question", "listen", "praise"}

// Category is one thing a report can be about. Group ties it to a tile group
// on the form; ids are stable (the contract lists them).
type Category struct {
	ID    string
	Group string
}

// Categories are shown as tiles grouped as in the design.
var Categories = []Category{
	{"government.tax", "government"}, {"government.municipality", "government"},
	{"government.kvk", "government"}, {"government.enforcement", "government"},
	{"police", "police"},
	{"exit.housing", "exit"}, {"exit.benefits", "exit"},
	{"care", "care"},
	{"operator.pay", "operator"}, {"operator.conditions", "operator"},
	{"operator.coercion", "operator"}, {"operator.harassment", "operator"},
	{"operator.dismissal", "operator"}, {"landlord.rent", "operator"},
	{"business.bank", "business"}, {"business.legal", "business"}, {"business.insurance", "business"},
	{"private.neighbours", "private"}, {"private.family", "private"},
	{"online.images", "online"},
	{"other", "other"},
}

// Groups in form order.
var Groups = []string{"government", "police", "exit", "care", "operator", "business", "private", "online", "other"}

// Settings where the work happens.
var Settings = []string{"window", "club", "escort", "home", "street", "massage", "online", "other"}

// Wishes: what the worker wants the desk to do.
var Wishes = []string{"heard", "advice", "handle"}

// IdentityModes: how much of herself she shows.
var IdentityModes = []string{"anonymous", "work_name", "named"}

// Reporters: who files.
var Reporters = []string{"self", "outreach", "professional"}

// PublicLanguages are the languages of the public pages and of her case.
var PublicLanguages = []string{"nl", "en", "ro", "bg", "hu", "pl", "es", "pt", "ru", "uk", "th", "zh"}

// Channel says how a case reached the desk.
type Channel string

// The channels the inbox can filter on.
const (
	ChannelWeb          Channel = "web"
	ChannelCard         Channel = "card"
	ChannelOutreach     Channel = "outreach"
	ChannelProfessional Channel = "professional"
	ChannelAPI          Channel = "api"
)

// Channels in filter order.
var Channels = []Channel{ChannelWeb, ChannelCard, ChannelOutreach, ChannelProfessional, ChannelAPI}

// Identity is who she says she is; Name and Contact are sealed at rest.
type Identity struct {
	Mode    string `json:"mode"`
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Input is one report as the form, the API and the outreach sync send it.
type Input struct {
	ID            string   `json:"id,omitempty"`
	Kind          string   `json:"kind"`
	Category      string   `json:"category,omitempty"`
	Description   string   `json:"description"`
	About         string   `json:"about,omitempty"`
	Municipality  string   `json:"municipality,omitempty"` // see ResolveMunicipality
	HappenedOn    string   `json:"happened_on,omitempty"`
	Setting       string   `json:"setting,omitempty"`
	Wish          string   `json:"wish"`
	Identity      Identity `json:"identity"`
	ShareIdentity bool     `json:"share_identity"`
	Reporter      string   `json:"reporter,omitempty"`
	Language      string   `json:"language"`
	Card          string   `json:"card,omitempty"`
	Receipt       string   `json:"receipt,omitempty"`
	// ReportOnly: a professional reports for a worker who does not
	// complain herself; no name may come with it (see Case.ReportOnly).
	ReportOnly bool `json:"report_only,omitempty"`
	// Set by the server from the outreach device, never by the sender.
	Device string `json:"-"`
	Round  string `json:"-"`
	// RecordedAt is when the outreach worker saved the report on her
	// tablet (checked for plausibility by the sync): the case is received
	// then, and its deadlines run from then. Zero means now.
	RecordedAt time.Time `json:"-"`
	// Batch is the card batch the worker chose for the card she handed
	// over, when there is no card code to look it up from.
	Batch string `json:"-"`
}

// Limits on free text.
const (
	MaxDescription = 10000
	MaxShort       = 200
	MaxMessage     = 5000
)

var (
	uuidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	receiptRe = regexp.MustCompile(`^[0-9]{16}$`)
	cardRe    = regexp.MustCompile(`^[0-9A-Z-]{1,20}$`)
)

// CategoryKnown says whether id is one of the categories.
func CategoryKnown(id string) bool {
	return slices.ContainsFunc(Categories, func(c Category) bool { return c.ID == id })
}

// Normalize trims what people and forms add around values: spaces, and the
// grouping of receipt digits.
func (in *Input) Normalize() {
	t := strings.TrimSpace
	in.ID, in.Kind, in.Category = strings.ToLower(t(in.ID)), t(in.Kind), t(in.Category)
	in.Description = strings.TrimSpace(strings.ReplaceAll(in.Description, "\r\n", "\n"))
	in.About, in.Municipality, in.HappenedOn = t(in.About), t(in.Municipality), t(in.HappenedOn)
	in.Setting, in.Wish, in.Reporter, in.Language = t(in.Setting), t(in.Wish), t(in.Reporter), t(in.Language)
	in.Identity.Mode, in.Identity.Name, in.Identity.Contact = t(in.Identity.Mode), t(in.Identity.Name), t(in.Identity.Contact)
	in.Card = strings.ToUpper(t(in.Card))
	in.Receipt = NormalizeReceipt(in.Receipt)
	if in.Reporter == "" {
		in.Reporter = "self"
	}
	if in.Kind != string(KindComplaint) && in.Kind != "" && in.Category == "" {
		in.Category = "other"
	}
	if in.Identity.Mode == "anonymous" {
		// Anonymous means anonymous: drop whatever was typed before she chose it.
		in.Identity.Name, in.Identity.Contact, in.ShareIdentity = "", "", false
	}
}

// NormalizeReceipt strips the spaces and dashes people type between groups.
func NormalizeReceipt(s string) string {
	// Every space goes, not only those at the ends: what remains after
	// removing a separator must not start a new leading space (the fuzzer
	// found ".\r0"), so normalizing twice gives the same.
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '.' {
			return -1
		}
		return r
	}, s)
}

// ValidReceipt says whether s (normalized) has the form of a receipt.
func ValidReceipt(s string) bool { return receiptRe.MatchString(s) }

// forbiddenInShort are the characters a short field (a name, a contact,
// what it is about) may not hold: control characters (NUL, line breaks,
// escapes), the bidirectional overrides and isolates that make text show
// as something else (a reversed phone number), and bytes that are not
// UTF-8 text.
func forbiddenInShort(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}

// Validate checks the input the same way for the form, the API and the
// outreach sync. Call Normalize first.
func (in *Input) Validate(now time.Time) error {
	var errs []fault.Field
	add := func(field, key string) { errs = append(errs, fault.Field{Field: field, Key: key}) }
	if in.ID != "" && !uuidRe.MatchString(in.ID) {
		add("id", "error.field.id")
	}
	if !slices.Contains(Kinds, in.Kind) {
		add("kind", "error.field.kind")
	}
	switch {
	case in.Category == "" && in.Kind == string(KindComplaint):
		add("category", "error.field.category_required")
	case in.Category != "" && !CategoryKnown(in.Category):
		add("category", "error.field.category")
	}
	switch n := utf8.RuneCountInString(in.Description); {
	case n == 0:
		add("description", "error.field.description_required")
	case n > MaxDescription:
		add("description", "error.field.description_long")
	}
	if utf8.RuneCountInString(in.About) > MaxShort {
		add("about", "error.field.too_long")
	} else if strings.ContainsFunc(in.About, forbiddenInShort) {
		add("about", "error.field.control")
	}
	if strings.ContainsRune(in.Description, 0) || !utf8.ValidString(in.Description) {
		add("description", "error.field.control")
	}
	if _, _, ok := ResolveMunicipality(in.Municipality); !ok {
		add("municipality", "error.field.municipality")
	}
	if in.HappenedOn != "" {
		d, err := time.Parse("2006-01-02", in.HappenedOn)
		if err != nil {
			add("happened_on", "error.field.date")
		} else if d.After(now.Add(24 * time.Hour)) {
			add("happened_on", "error.field.date_future")
		}
	}
	if in.Setting != "" && !slices.Contains(Settings, in.Setting) {
		add("setting", "error.field.setting")
	}
	if !slices.Contains(Wishes, in.Wish) {
		add("wish", "error.field.wish")
	}
	if !slices.Contains(IdentityModes, in.Identity.Mode) {
		add("identity.mode", "error.field.identity_mode")
	}
	if in.Identity.Mode == "work_name" && in.Identity.Name == "" {
		add("identity.name", "error.field.work_name_required")
	}
	if in.Identity.Mode == "named" && in.Identity.Name == "" {
		add("identity.name", "error.field.name_required")
	}
	if utf8.RuneCountInString(in.Identity.Name) > MaxShort {
		add("identity.name", "error.field.too_long")
	} else if strings.ContainsFunc(in.Identity.Name, forbiddenInShort) {
		add("identity.name", "error.field.control")
	}
	if utf8.RuneCountInString(in.Identity.Contact) > MaxShort {
		add("identity.contact", "error.field.too_long")
	} else if strings.ContainsFunc(in.Identity.Contact, forbiddenInShort) {
		add("identity.contact", "error.field.control")
	}
	if !slices.Contains(Reporters, in.Reporter) {
		add("reporter", "error.field.reporter")
	}
	if in.ReportOnly {
		// For reports only: from a professional, and without her name.
		if in.Reporter != "professional" {
			add("reporter", "error.field.reporter")
		}
		if in.Identity.Mode != "anonymous" || in.Identity.Name != "" || in.Identity.Contact != "" {
			add("identity.mode", "error.field.identity_mode")
		}
	}
	if !slices.Contains(PublicLanguages, in.Language) {
		add("language", "error.field.language")
	}
	if in.Card != "" && !cardRe.MatchString(in.Card) {
		add("card", "error.field.card")
	}
	if in.Receipt != "" && !receiptRe.MatchString(in.Receipt) {
		add("receipt", "error.field.receipt")
	}
	if len(errs) > 0 {
		return fault.Validation(errs...)
	}
	return nil
}
