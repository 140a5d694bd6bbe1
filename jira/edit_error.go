package jira

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink"
)

// EditError is a Jira response other than success to an issue edit, or to
// another request about an issue (its edit metadata, a comment, request
// participants or a user look-up).
type EditError struct {
	// IssueKey is the key or ID of the issue the edit was for.
	IssueKey string

	// Operation is the request that failed, such as "add comment to issue
	// ITH-1". Empty means "edit issue" and the IssueKey.
	Operation string

	// Status is the HTTP status code.
	Status int

	// Messages are Jira's errorMessages, or the start of the body when Jira
	// responded with text instead of JSON.
	Messages []string

	// FieldErrors maps a field ID to Jira's message about its value, for
	// example "customfield_10050" to "Option value 'Paris' is not valid".
	FieldErrors map[string]string

	// Retryable reports whether sending the same edit again later may
	// succeed: true for 409 Conflict, 429 Too Many Requests and 5xx
	// statuses.
	Retryable bool

	// RetryAfter is the wait Jira asked for in its Retry-After header, or
	// zero when it sent none.
	RetryAfter time.Duration
}

// maxTextMessage bounds the part of a non-JSON body kept as a message.
const maxTextMessage = 200

// errorCollection is the body of a Jira REST error response.
type errorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func newEditError(key string, resp fieldlink.UpstreamResponse, now time.Time) *EditError {
	e := &EditError{
		IssueKey:   key,
		Status:     resp.Status,
		Retryable:  retryableStatus(resp.Status),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now),
	}

	var body errorCollection
	if err := json.Unmarshal(resp.Body, &body); err == nil {
		e.Messages = body.ErrorMessages
		if len(body.Errors) > 0 {
			e.FieldErrors = body.Errors
		}
		return e
	}

	// Jira responds to some failures, such as rejected credentials, with text.
	if text := strings.TrimSpace(string(resp.Body)); text != "" {
		e.Messages = []string{truncate(text, maxTextMessage)}
	}
	return e
}

// Error returns the status, Jira's messages and what to check next.
func (e *EditError) Error() string {
	operation := e.Operation
	if operation == "" {
		operation = "edit issue " + e.IssueKey
	}
	detail, hint := e.detail(), e.hint()
	// Jira's own messages end with a full stop; the hint adds its own.
	if strings.HasSuffix(detail, ".") {
		detail = strings.TrimSuffix(detail, ".")
	}
	return fmt.Sprintf("%s: Jira returned %d %s%s%s",
		operation, e.Status, http.StatusText(e.Status), detail, hint)
}

// detail returns Jira's messages and field errors, field errors sorted by
// field ID, after ": ", or "" when Jira gave none.
func (e *EditError) detail() string {
	parts := append([]string(nil), e.Messages...)

	ids := make([]string, 0, len(e.FieldErrors))
	for id := range e.FieldErrors {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		parts = append(parts, id+": "+e.FieldErrors[id])
	}

	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// retryableStatus reports whether Jira may accept the same request later.
// Jira Cloud's REST API v3 document lists no 409 Conflict for the requests
// fieldlink sends. Atlassian's change notice on simultaneous issue
// transitions (developer.atlassian.com, "Change notice - Update in
// simultaneous transitions of an issue via API") states that a 409 means
// another change to the issue is still running, and that apps should retry.
func retryableStatus(status int) bool {
	return status == http.StatusConflict || status == http.StatusTooManyRequests || status >= 500
}

// hint returns what to check for the statuses an admin can fix, and for
// the others what Jira asked for.
func (e *EditError) hint() string {
	switch {
	case e.Status == http.StatusBadRequest && e.Operation == "":
		return ". Check that the rule's field IDs are on the issue's edit screen and its values are allowed options"
	case e.Status == http.StatusUnauthorized:
		return ". Check the Jira datasource's email address and API token"
	case e.Status == http.StatusForbidden && e.Operation == "":
		return ". Give the Jira account of the datasource permission to edit issues in the project"
	case e.Status == http.StatusForbidden:
		return ". Give the Jira account of the datasource the project permission this request needs"
	case e.Status == http.StatusNotFound && strings.Contains(e.Operation, "user"):
		return ". The Jira account does not exist, or the datasource's account may not see it (it needs the Browse users and groups permission)"
	case e.Status == http.StatusNotFound:
		return ". The issue does not exist or the Jira account of the datasource cannot browse it"
	case e.Status == http.StatusConflict && e.IssueKey != "":
		return ". Another change to the issue was running in Jira, so the request may pass when sent again"
	case e.Retryable && e.RetryAfter > 0:
		return fmt.Sprintf(". Jira asked for a retry after %s", e.RetryAfter)
	case e.Retryable:
		return ". Jira may accept the request when it is sent again later"
	}
	return ""
}

// maxRetryAfterSeconds caps a Retry-After so the Duration cannot overflow.
const maxRetryAfterSeconds = int64(math.MaxInt64 / time.Second)

// retryAfter parses a Retry-After value, either delay seconds or an HTTP
// date (RFC 9110 §10.2.3). It returns zero for an empty, invalid or past
// value.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}

	if seconds, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case seconds < 0:
			return 0
		case seconds > maxRetryAfterSeconds:
			return time.Duration(maxRetryAfterSeconds) * time.Second
		}
		return time.Duration(seconds) * time.Second
	}

	at, err := http.ParseTime(v)
	if err != nil || !at.After(now) {
		return 0
	}
	return at.Sub(now)
}

// truncate shortens s to at most max bytes without splitting a character.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}
