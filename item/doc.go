// Package item evaluates connected items: it renders an item's request
// template from the ticket context, escaping each ${…} value for the place it
// lands in, sends the request through a fieldlink.Upstream, follows the
// item's paging (OData next links, Link headers, cursors or offsets) up to
// its row limit, selects rows from the JSON responses with an RFC 9535
// JSONPath and renders the item's display template once per row. A template
// that reads data instead of row is rendered once over the whole response,
// and a select item's rows become options with labels.
//
// Expressions inside ${…} use github.com/expr-lang/expr over the ticket
// context: reporter, currentUser, project, issueType, requestType, issue and
// userInput, plus row or data in display templates. items["Name"] is the
// text and itemValues["Name"] the list of values of another item, which
// Order and EvaluateWithDependencies evaluate first. Reading a member that
// is absent yields nil instead of an error, and `??` supplies a default.
//
// Values are plain text: nothing is HTML-escaped here, so whatever shows
// them in a page escapes them there.
package item
