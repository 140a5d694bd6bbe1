package item

import (
	"fmt"
	"strconv"
	"strings"
)

// MissingValueError reports that a ${…} expression had no value (nil, an
// empty string or an empty list) and no default, so no request was sent.
type MissingValueError struct {
	// Expr is the expression as the admin wrote it, for example
	// "reporter.emailAddress". When the value is missing because an item
	// this one depends on had none, Expr is that item's missing expression
	// and Via names the items it would have flowed through, in order.
	Expr string
	Via  []string
}

// Error returns "missing value: " followed by the expression, and the items
// that needed it.
func (e *MissingValueError) Error() string {
	if len(e.Via) == 0 {
		return "missing value: " + e.Expr
	}
	return fmt.Sprintf("missing value: %s (needed by item %s)", e.Expr, strings.Join(quoteAll(e.Via), ", then item "))
}

func quoteAll(names []string) []string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = strconv.Quote(name)
	}
	return quoted
}

// InvalidValueError reports that a ${…} expression had a value that cannot be
// placed where the template puts it, such as ".." as a path segment or a line
// break in a header. No request is sent.
type InvalidValueError struct {
	Expr   string
	Reason string
}

// Error returns the expression and the reason.
func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("invalid value of ${%s}: %s", e.Expr, e.Reason)
}

// UpstreamStatusError reports a response whose status is not 2xx. Code and
// Message come from Microsoft Graph's {"error":{"code","message"}} body or
// from Jira's errorMessages and errors when the body has them.
type UpstreamStatusError struct {
	Status  int
	Code    string
	Message string
	// Excerpt is the start of the response body, with its whitespace
	// collapsed.
	Excerpt string
}

// Error returns the status, the API's code and message (or the body excerpt)
// and a hint for the statuses an admin can fix.
func (e *UpstreamStatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upstream returned HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}

	switch {
	case e.Message != "":
		fmt.Fprintf(&b, ": %s", shorten(e.Message))
	case e.Excerpt != "":
		fmt.Fprintf(&b, ": %q", e.Excerpt)
	}

	if hint := statusHint(e.Status); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func statusHint(status int) string {
	switch status {
	case 400:
		return "check the item's request path, query and body"
	case 401:
		return "check the datasource's authentication settings"
	case 403:
		return "grant the datasource's account the permission this API requires"
	case 404:
		return "check the item's request path and the datasource's base URL"
	case 429:
		return "the API is rate limiting requests; raise the item's cacheSeconds or retry later"
	}
	return ""
}

// NotJSONError reports a 2xx response whose body is not JSON, such as an HTML
// sign-in page returned by a proxy or a wrong base URL.
type NotJSONError struct {
	Status      int
	ContentType string
	// Excerpt is the start of the response body, with its whitespace
	// collapsed.
	Excerpt string
}

// Error returns the status, the content type and the body excerpt.
func (e *NotJSONError) Error() string {
	contentType := e.ContentType
	if contentType == "" {
		contentType = "none"
	}
	return fmt.Sprintf("upstream returned HTTP %d with a body that is not JSON (Content-Type %s): %q; check the datasource's base URL and authentication",
		e.Status, contentType, e.Excerpt)
}

// PagingError reports that fetching an item's pages stopped: a next link to
// another host, a next page that repeats one already fetched, or more than
// MaxPages pages.
type PagingError struct {
	Item string
	// Page is the page whose next link or cursor failed, counting from 1.
	Page   int
	Reason string
}

// Error returns the item, the page and the reason.
func (e *PagingError) Error() string {
	return fmt.Sprintf("paging item %q stopped after page %d: %s", e.Item, e.Page, e.Reason)
}
