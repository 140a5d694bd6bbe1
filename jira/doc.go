// Package jira is fieldlink's side of Jira Cloud. It verifies and decodes
// the webhooks Jira sends when an issue is created or updated, and builds the
// ticket context that items and rules read. Its Client writes fields back
// with the REST API v3 through a Jira datasource.
//
// It holds no routing logic: which fields to write is decided by the rule
// package, and this package only sends them.
package jira
