// Package item evaluates connected items: it renders an item's request
// template from the ticket context, escaping each ${…} value for the place it
// lands in, sends the request through a fieldlink.Upstream, selects rows from
// the JSON response with an RFC 9535 JSONPath and renders the item's display
// template once per row.
//
// Expressions inside ${…} use github.com/expr-lang/expr over the ticket
// context: reporter, currentUser, project, issueType, requestType, issue and
// userInput, plus row in display templates. Reading a member that is absent
// yields nil instead of an error, and `??` supplies a default.
package item
