// Package jiracloud emulates the parts of Jira Cloud that fieldlink uses, for
// the demo and for tests. It serves one Jira Service Management project with
// a service request issue type and routing fields, the REST API v3
// operations to read and edit an issue, and admin webhooks signed with a
// secret.
//
// The server is an http.Handler meant for a loopback listener. It keeps
// everything in memory.
package jiracloud
