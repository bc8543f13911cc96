// Package cases is the desk's core: a report becomes a case with a receipt,
// a reference and a timeline of appended events. Personal text is sealed at
// rest; what the desk filters and counts on stays in clear.
package cases

import (
	"context"
	"time"
)

// Case is one case as stored. Fields of type []byte are sealed.
type Case struct {
	ID          string `bson:"_id"`
	ClientID    string `bson:"client_id"`
	Fingerprint []byte `bson:"fingerprint"`
	Reference   string `bson:"reference"`
	ReceiptHash []byte `bson:"receipt_hash"`
	// ReceiptChecked: the receipt ends in its check digit. Cases stored
	// before check digits lack the field (see CheckReceipt).
	ReceiptChecked bool      `bson:"receipt_checked"`
	CreatedAt      time.Time `bson:"created_at"`
	UpdatedAt      time.Time `bson:"updated_at"`
	// LastActivity orders the inbox after deadlines: her reply moves it up.
	LastActivity time.Time `bson:"last_activity"`

	Kind          string `bson:"kind"`
	Category      string `bson:"category"`
	Group         string `bson:"group"`
	Municipality  string `bson:"municipality"` // a CBS code or MunicipalityUnknown/Online
	Region        string `bson:"region"`       // its safety region (or the same special value)
	HappenedOn    string `bson:"happened_on"`
	Setting       string `bson:"setting"`
	Wish          string `bson:"wish"`
	IdentityMode  string `bson:"identity_mode"`
	ShareIdentity bool   `bson:"share_identity"`
	Reporter      string `bson:"reporter"`
	Language      string `bson:"language"`
	Channel       string `bson:"channel"`
	Card          string `bson:"card"`
	Batch         string `bson:"batch"`
	Device        string `bson:"device"`
	Round         string `bson:"round"`

	Description []byte `bson:"description"`
	About       []byte `bson:"about"`
	Name        []byte `bson:"name"`
	Contact     []byte `bson:"contact"`

	State      State     `bson:"state"`
	Route      State     `bson:"route"`
	Outcome    Outcome   `bson:"outcome"`
	AssignedTo string    `bson:"assigned_to"`
	Priority   int       `bson:"priority"`
	Themes     []string  `bson:"themes"`
	Deadlines  Deadlines `bson:"deadlines"`
	ClosedAt   time.Time `bson:"closed_at"`
	// Heard is her answer after closing: "", "yes" or "no".
	Heard string `bson:"heard"`
	// Erased is set when retention removed name and contact.
	Erased bool `bson:"erased"`

	// The times of the first route, the first reasoned answer and her
	// last "felt heard" answer, kept on the case so a report need not
	// read every timeline (see steps.go). Steps is 1 once they are kept.
	RoutedAt   time.Time `bson:"routed_at,omitempty"`
	AnsweredAt time.Time `bson:"answered_at,omitempty"`
	HeardAt    time.Time `bson:"heard_at,omitempty"`
	Steps      int       `bson:"steps"`
	// NewReply: she wrote and no one on the desk has answered or acted
	// since. It keeps a message on a closed or answered case in sight.
	NewReply bool `bson:"new_reply"`
	// ReportOnly: a professional reported on behalf of a worker who does
	// not complain herself. No name is kept and no deadlines run: the
	// report is counted and linked to themes (see CloseReport).
	ReportOnly bool `bson:"report_only"`
}

// Event is one entry on a case's timeline. Events are appended, never
// changed: the timeline is the case's history.
type Event struct {
	ID     string    `bson:"_id"`
	CaseID string    `bson:"case_id"`
	At     time.Time `bson:"at"`
	Type   string    `bson:"type"`
	// Actor is a staff user id, "complainant" or "system".
	Actor string `bson:"actor"`
	From  State  `bson:"from,omitempty"`
	To    State  `bson:"to,omitempty"`
	// Body is sealed (messages, notes, reasons).
	Body []byte `bson:"body,omitempty"`
	// Data holds small non-personal details (outcome, assignee, theme id…).
	Data map[string]string `bson:"data,omitempty"`
}

// Event types.
const (
	EventCreated  = "created"
	EventMessage  = "message" // to her, visible on her status page
	EventReply    = "reply"   // from her
	EventNote     = "note"    // internal, she never sees it
	EventState    = "state"
	EventAssigned = "assigned"
	EventPriority = "priority"
	EventReferral = "referral"
	EventTheme    = "theme"
	EventExtended = "extended"
	EventHeard    = "heard"
	EventErased   = "erased"
	// EventReceiptReplaced: the receipt a device brought opened another
	// case, so this one has a receipt of the desk's (see Create).
	EventReceiptReplaced  = "receipt_replaced"
	ActorComplainant      = "complainant"
	ActorSystem           = "system"
	collectionCases       = "cases"
	collectionEvents      = "case_events"
	sealCaseField         = "case:"
	referencePrefix       = "GH"
	ackEventSuffix        = ":ack"
	createdEventSuffix    = ":created"
	receiptReplacedSuffix = ":receipt"
)

// Message is one entry of the thread she sees.
type Message struct {
	From string    `json:"from"` // "desk" or "you"
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// Result is what creating a case returns.
type Result struct {
	ID        string
	Reference string
	// Receipt is set when this call made the case (or echoes the sender's).
	Receipt   string
	Duplicate bool
}

// Notifier is told about events staff should hear of (push). Calls must be
// idempotent: after a crash a creation may be reported again.
type Notifier interface {
	CaseCreated(ctx context.Context, caseID string) error
	ReplyReceived(ctx context.Context, caseID, assignedTo string) error
	ReopenRequested(ctx context.Context, caseID string) error
}

// BatchNotifier is told of several new cases at once (a tablet's sync).
// Optional: a Notifier may implement it.
type BatchNotifier interface {
	CasesCreated(ctx context.Context, caseIDs []string) error
}

// AssignNotifier is told when a case is given to a staff user, so she
// hears of it (push). Optional: a Notifier may implement it.
type AssignNotifier interface {
	CaseAssigned(ctx context.Context, caseID, userID string) error
}

// ClosedReplyNotifier is told of her message on a closed case: the handler
// and the coordinators hear of it, as the case may need reopening.
// Optional: without it ReplyReceived is used.
type ClosedReplyNotifier interface {
	ClosedReplyReceived(ctx context.Context, caseID, assignedTo string) error
}

// CardResolver tells which card batch a card code belongs to ("" if none).
type CardResolver interface {
	BatchOf(ctx context.Context, code string) (string, error)
}

// Translator renders a catalog text in a language; standard texts sent to
// her are rendered in her language and stored as sent.
type Translator interface {
	T(lang, key string, args ...any) string
}
