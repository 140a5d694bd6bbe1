package fieldlink

import "encoding/json"

// Rule routes a ticket: when Condition holds, its actions run on the issue.
// Rules are tried in Position order within their rule set.
type Rule struct {
	ID       string
	Name     string
	Position int

	// RuleSet names the set the rule belongs to; a hook runs one set.
	// Empty is the default set.
	RuleSet string

	// Condition is an expression over the ticket context and item values,
	// for example `items["Reporter office"] == "Paris"`. Empty always matches,
	// which makes a default rule.
	Condition string

	// Fields maps a Jira field ID to the value written with
	// PUT /rest/api/3/issue/{key}, in Jira's JSON shape for that field
	// (a string for text, {"value": …} for a single select). String values
	// may hold ${…} placeholders over the ticket context and item values.
	Fields map[string]json.RawMessage

	// AddLabels are labels added to the issue (templates allowed).
	AddLabels []string

	// Comment is posted on the issue when not empty (a template).
	Comment string

	// CommentInternal makes a service desk comment visible to agents only.
	CommentInternal bool

	// RequestParticipants are account IDs (templates allowed) added as
	// request participants of a service desk request.
	RequestParticipants []string
}

// HasActions reports whether the rule changes the issue at all.
func (r Rule) HasActions() bool {
	return len(r.Fields) > 0 || len(r.AddLabels) > 0 || r.Comment != "" || len(r.RequestParticipants) > 0
}

// Hook is an intake endpoint for Jira Cloud: admin webhooks signed with
// Secret, or Jira Automation "Send web request" calls that carry the
// automation token. It runs one rule set with the Jira datasource used to
// write back.
type Hook struct {
	ID               string
	Name             string
	Secret           string
	JiraDatasourceID string

	// ProjectKeys limits the hook to issues of these projects; empty means
	// every project.
	ProjectKeys []string

	// RuleSet is the rule set the hook runs; empty is the default set.
	RuleSet string

	// MatchAll runs the actions of every matching rule in order, instead of
	// the first matching rule only.
	MatchAll bool

	// Events are the webhook events processed. Empty means
	// jira:issue_created only.
	Events []string

	// EmailFallback says how to find a reporter's email when Jira hides it:
	// "" (record "reporter email not visible"), "jira" (look the account up
	// through the Jira datasource) or "item:<name>" (an item that maps
	// reporter.accountId to an email).
	EmailFallback string

	// AutomationTokenHash is the SHA-256 (hex) of the token Jira Automation
	// sends in the X-Fieldlink-Token header; empty disables that intake.
	AutomationTokenHash string
}

// Hook events fieldlink can process.
const (
	EventIssueCreated = "jira:issue_created"
	EventIssueUpdated = "jira:issue_updated"
)
