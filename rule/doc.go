// Package rule evaluates routing rules: conditions over a ticket's context and
// its items' values, written in github.com/expr-lang/expr. It performs no I/O.
//
// In a condition, items["Reporter office"] (or items.office for a name that
// is an identifier) is the item's text, "" when it has no value, and
// itemValues["Reporter office"] is its list of values. The ticket context is
// available as reporter, currentUser, project, issueType, requestType, issue
// and userInput, named as the JSON fields of fieldlink.TicketContext. Reading
// a member that is absent yields nil, and a condition whose result is nil is
// false.
//
// A rule's actions (field values, labels, the comment and request
// participants) may hold ${…} placeholders over the same names, such as
// ${items["Reporter office"]} or ${reporter.accountId}. Plan renders them;
// a placeholder inside a field's JSON value is rendered into that JSON
// string with JSON escaping.
package rule
