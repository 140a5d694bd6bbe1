package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// Webhook events that fieldlink processes.
const (
	EventIssueCreated = "jira:issue_created"
	EventIssueUpdated = "jira:issue_updated"
)

// IdentifierHeader is the header in which Jira Cloud sends a delivery's
// identifier. Jira keeps it unchanged when it retries the delivery.
const IdentifierHeader = "X-Atlassian-Webhook-Identifier"

// Webhook is a decoded jira:issue_created or jira:issue_updated delivery.
type Webhook struct {
	// Event is the webhookEvent, for example "jira:issue_created".
	Event string
	// Timestamp is the time of the event in milliseconds since the Unix
	// epoch, or zero when the body has none.
	Timestamp int64

	IssueID  string
	IssueKey string

	// Ticket is the context that items and rules read.
	Ticket fieldlink.TicketContext

	// Changelog lists the fields that a jira:issue_updated event changed,
	// in the order Jira sent them. It is empty for other events.
	Changelog []ChangedField

	// Raw is the whole body, decoded. Ticket's Project, IssueType and Issue
	// maps are parts of it, so a change to one shows in the other.
	Raw map[string]any
}

// webhookHead holds the members of a body that are read with their own
// types: the timestamp as a number literal and the issue ID as a string or a
// number.
type webhookHead struct {
	WebhookEvent string      `json:"webhookEvent"`
	Timestamp    json.Number `json:"timestamp"`
	Issue        *struct {
		ID  json.RawMessage `json:"id"`
		Key string          `json:"key"`
	} `json:"issue"`
}

// ParseWebhook decodes the body of an admin webhook delivery: the event, its
// timestamp, the issue ID and key, and the ticket context (reporter, actor,
// project, issue type, Jira Service Management request type and all issue
// fields). A reporter whose email address Jira hides (a missing, empty or
// null emailAddress) gets an empty EmailAddress.
//
// The error is a *fieldlink.Error with code EInvalid when the body is not
// JSON or lacks webhookEvent or issue.key.
func ParseWebhook(body []byte) (Webhook, error) {
	var head webhookHead
	if err := json.Unmarshal(body, &head); err != nil {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid,
			"webhook body is not a Jira webhook JSON object (%s). Send the body Jira posts, unchanged", describeJSONError(err))
	}

	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid,
			"webhook body is not a valid Jira webhook JSON object: %v. Send the body Jira posts, unchanged", err)
	}

	if head.WebhookEvent == "" {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid,
			"webhook body has no webhookEvent: send an issue event such as %q", EventIssueCreated)
	}
	if head.Issue == nil || head.Issue.Key == "" {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid,
			"webhook body of event %q has no issue.key: subscribe the Jira webhook to issue events only", head.WebhookEvent)
	}

	timestamp, err := parseTimestamp(head.Timestamp)
	if err != nil {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid,
			"webhook body has an invalid timestamp %q: expected milliseconds since the Unix epoch", head.Timestamp)
	}

	w := Webhook{
		Event:     head.WebhookEvent,
		Timestamp: timestamp,
		IssueID:   idString(head.Issue.ID),
		IssueKey:  head.Issue.Key,
		Raw:       raw,
	}

	issue, _ := raw["issue"].(map[string]any)
	fields, _ := issue["fields"].(map[string]any)
	w.Ticket = ticketContext(fields, object(raw, "user"))
	w.Changelog = changelog(raw)
	return w, nil
}

// parseTimestamp reads Jira's millisecond timestamp. A body without one
// yields zero.
func parseTimestamp(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if ms, err := n.Int64(); err == nil {
		return ms, nil
	}

	// Accept a number written with an exponent or a fraction, as some
	// relays re-encode integers that way.
	f, err := n.Float64()
	if err != nil {
		return 0, err
	}
	return int64(f), nil
}

// idString returns an issue ID given as a JSON string or number as a string.
func idString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}

	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// DeliveryID returns the key that deduplicates deliveries: the
// X-Atlassian-Webhook-Identifier header when present, which Jira keeps across
// retries, and otherwise the issue ID, event and timestamp joined by colons.
func DeliveryID(h http.Header, w Webhook) string {
	if id := h.Get(IdentifierHeader); id != "" {
		return id
	}

	issue := w.IssueID
	if issue == "" {
		issue = w.IssueKey
	}
	return issue + ":" + w.Event + ":" + strconv.FormatInt(w.Timestamp, 10)
}

// ChangedField is one item of the changelog of a jira:issue_updated
// webhook: a field and its values before and after the change. Jira's null
// values are empty strings here.
type ChangedField struct {
	// FieldID is the field's ID, such as "customfield_10050" or "labels".
	// Jira omits fieldId in some older items, and Field is used then.
	FieldID string
	// Field is the field's name for a custom field ("Support group") and
	// its ID for a system field ("labels").
	Field string
	// FieldType is "jira" for a system field and "custom" for a custom one.
	FieldType string

	// From and To are the IDs of the old and new values, such as option
	// IDs of a select field, and empty for text.
	From string
	To   string
	// FromString and ToString are the old and new values as people see
	// them, with labels separated by spaces.
	FromString string
	ToString   string
}

// changelog reads the items of the body's changelog object.
func changelog(raw map[string]any) []ChangedField {
	items, _ := object(raw, "changelog")["items"].([]any)

	var changed []ChangedField
	for _, v := range items {
		item, ok := v.(map[string]any)
		if !ok {
			continue
		}
		c := ChangedField{
			FieldID:    str(item, "fieldId"),
			Field:      str(item, "field"),
			FieldType:  str(item, "fieldtype"),
			From:       str(item, "from"),
			To:         str(item, "to"),
			FromString: str(item, "fromString"),
			ToString:   str(item, "toString"),
		}
		if c.FieldID == "" {
			c.FieldID = c.Field
		}
		changed = append(changed, c)
	}
	return changed
}

// describeJSONError says what is wrong with a body in words that do not name
// Go types.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return "the body is a JSON " + typeErr.Value + ", not an object"
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q is a JSON %s", typeErr.Field, typeErr.Value)
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	}
	msg, _, _ := strings.Cut(err.Error(), " into Go")
	return strings.TrimPrefix(msg, "json: ")
}
