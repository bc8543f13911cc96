package staffui

// dynamicKeys are the catalog keys the staff pages build at run time from
// a value (a channel, a deadline, a flash name…). Listing them here keeps
// them findable and lets a test check that each exists in nl and en.
var dynamicKeys = []string{
	"staff.channel.web", "staff.channel.card", "staff.channel.outreach", "staff.channel.professional", "staff.channel.api",
	"staff.deadline.ack", "staff.deadline.route", "staff.deadline.answer",
	"staff.inbox.assigned_me", "staff.inbox.assigned_unassigned", "staff.inbox.due_soon", "staff.inbox.due_overdue",
	"staff.priority.0", "staff.priority.1", "staff.priority.2",
	"staff.reporter.self", "staff.reporter.outreach", "staff.reporter.professional",
	"staff.flash.saved", "staff.flash.sent", "staff.flash.assigned", "staff.flash.noted", "staff.flash.extended",
	"staff.flash.referred", "staff.flash.linked", "staff.flash.unlinked", "staff.flash.closed", "staff.flash.reopened",
	"staff.flash.state", "staff.flash.user_added", "staff.flash.user_changed", "staff.flash.totp_reset", "staff.flash.lang",
	"staff.flash.theme_added", "staff.flash.signed_out_all", "staff.flash.password", "staff.flash.user_reset",
	// Report periods and deadline tables (reports.go, server/reports).
	"staff.reports.kind_month", "staff.reports.kind_quarter", "staff.reports.kind_year", "staff.reports.kind_range",
	"staff.reports.deadline_ack", "staff.reports.deadline_route", "staff.reports.deadline_answer",
	// Names of the standard texts in the picker (staff.std.<name>).
	"staff.std.reading", "staff.std.more_info", "staff.std.route_listening", "staff.std.route_advice",
	"staff.std.route_intervention", "staff.std.route_mediation", "staff.std.route_investigation",
	"staff.std.route_referred", "staff.std.declined", "staff.std.police_rights", "staff.std.bank_account",
	"staff.std.tax_registration", "staff.std.answer", "staff.std.unfounded", "staff.std.closing", "staff.std.reopened",
}
