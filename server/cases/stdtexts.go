package cases

import "slices"

// StandardText is a message the desk often sends, kept in the catalogs as
// std.<name>.body in every public language, so she reads it in her own.
// States and Categories say where the text fits (empty: everywhere).
type StandardText struct {
	Name       string
	States     []State
	Categories []string
	// Answer marks the desk's reasoned answer: sending it counts as the
	// explanation an "unfounded" outcome needs.
	Answer bool
}

// Key is the catalog key of the text's body ({reference} may appear).
func (t StandardText) Key() string { return "std." + t.Name + ".body" }

var routesAnd = func(extra ...State) []State { return append(slices.Clone(Routes), extra...) }

// TextExtended is sent by Extend ({date} is the new answer deadline).
var TextExtended = StandardText{Name: "extended"}

// StandardTexts lists the texts staff can pick, in picker order.
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
	{Name: "police_rights", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"police"}},
	{Name: "bank_account", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"business.bank"}},
	{Name: "tax_registration", States: routesAnd(StateTriage, StateReplyReceived), Categories: []string{"government.tax", "government.kvk"}},
	{Name: "answer", States: routesAnd(StateFeedback, StateReplyReceived), Answer: true},
	{Name: "unfounded", States: routesAnd(StateFeedback, StateReplyReceived), Answer: true},
	{Name: "closing", States: []State{StateFeedback}},
	{Name: "reopened", States: []State{StateReopened, StateReopenRequested}},
}

// AllTexts is every standard text, including those sent automatically.
func AllTexts() []StandardText { return append(slices.Clone(StandardTexts), TextExtended) }

// TextByName finds a standard text.
func TextByName(name string) (StandardText, bool) {
	for _, t := range AllTexts() {
		if t.Name == name {
			return t, true
		}
	}
	return StandardText{}, false
}

// TextsFor returns the texts that fit a case's state and category.
func TextsFor(c *Case) []StandardText {
	var out []StandardText
	for _, t := range StandardTexts {
		if len(t.States) > 0 && !slices.Contains(t.States, c.State) {
			continue
		}
		if len(t.Categories) > 0 && !slices.Contains(t.Categories, c.Category) {
			continue
		}
		out = append(out, t)
	}
	return out
}
