package fieldlink

import "encoding/json"

// Rule routes a ticket: when Condition holds, the Fields are set.
// Rules are tried in Position order and the first match wins.
type Rule struct {
	ID       string
	Name     string
	Position int

	// Condition is an expression over the ticket context and item values,
	// for example `items["Reporter office"] == "Paris"`. Empty always matches,
	// which makes a default rule.
	Condition string

	// Fields maps a Jira field ID to the value written with
	// PUT /rest/api/3/issue/{key}, in Jira's JSON shape for that field
	// (a string for text, {"value": …} for a single select).
	Fields map[string]json.RawMessage
}

// Hook is an intake endpoint for Jira Cloud webhooks, with the secret Jira
// signs deliveries with and the Jira datasource used to write fields back.
type Hook struct {
	ID               string
	Name             string
	Secret           string
	JiraDatasourceID string
}
