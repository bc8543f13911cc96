package socialmap

import "strings"

// Topics are what an organisation helps with. Each has the catalog label
// "help.topic.<id>" (and "help.topic.<id>.hint" for a one-line explanation).
var topics = []string{
	"legal",     // legal advice, rights, complaints procedures
	"health",    // health care, sexual health, mental health
	"housing",   // a place to live, shelter, rent trouble
	"money",     // income, debts, tax, banking
	"work",      // working conditions, operators, contracts, opting-in
	"safety",    // violence, dangerous clients, threats
	"exit",      // leaving the work: other work, training, exit programmes
	"migration", // residence papers, living in the Netherlands as a migrant
	"listening", // someone to talk to
	"lgbt",      // for lesbian, gay, bi, trans and queer workers
}

// Topics returns the topic ids in display order.
func Topics() []string { return append([]string(nil), topics...) }

// IsTopic says whether id is a known topic.
func IsTopic(id string) bool {
	for _, t := range topics {
		if t == id {
			return true
		}
	}
	return false
}

// TopicForCategory proposes the social-map topic for a complaint category
// (the ids of /api/v1/categories), so the case file can offer organisations
// for a referral. It returns "" when no topic fits better than any other.
func TopicForCategory(category string) string {
	switch category {
	case "government.tax", "government.kvk", "business.bank", "business.insurance", "exit.benefits":
		return "money"
	case "exit.housing", "landlord.rent":
		return "housing"
	case "care":
		return "health"
	case "operator.coercion":
		return "safety"
	case "government.municipality", "government.enforcement", "police", "business.legal",
		"private.neighbours", "private.family", "online.images":
		return "legal"
	}
	if strings.HasPrefix(category, "operator.") {
		return "work"
	}
	if strings.HasPrefix(category, "exit.") {
		return "exit"
	}
	return ""
}
