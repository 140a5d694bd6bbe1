package jira

import (
	"encoding/json"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
)

// ticketContext builds the ticket context from the issue's fields and from
// actor, the user who caused the event, which is nil when the body has none.
func ticketContext(fields, actor map[string]any) fieldlink.TicketContext {
	return fieldlink.TicketContext{
		Reporter:    user(object(fields, "reporter")),
		CurrentUser: user(actor),
		Project:     object(fields, "project"),
		IssueType:   object(fields, "issuetype"),
		RequestType: requestType(fields),
		Issue:       fields,
	}
}

// user converts a Jira user object. A missing, empty or null emailAddress,
// which is how Jira hides the address of a user whose privacy settings
// require it, becomes an empty EmailAddress.
func user(m map[string]any) *fieldlink.User {
	if m == nil {
		return nil
	}
	return &fieldlink.User{
		AccountID:    str(m, "accountId"),
		EmailAddress: str(m, "emailAddress"),
		DisplayName:  str(m, "displayName"),
	}
}

// requestType finds the Jira Service Management request type of an issue. It
// is held in the "Customer Request Type" custom field, whose ID differs per
// site, as {"requestType": {...}, "currentStatus": {...}}; some senders,
// such as Automation rules, put {"serviceDesk": {...}, "requestType": {...}}
// or a bare "requestType" object among the fields instead. It returns nil
// when the issue has none.
func requestType(fields map[string]any) map[string]any {
	if rt := requestTypeIn(fields); rt != nil {
		return rt
	}

	// Look through custom fields in a fixed order so that the result does
	// not depend on map iteration when, unusually, two fields hold one.
	var ids []string
	for id := range fields {
		if strings.HasPrefix(id, "customfield_") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)

	for _, id := range ids {
		if rt := requestTypeIn(object(fields, id)); rt != nil {
			return rt
		}
	}
	return nil
}

// requestTypeIn returns container's "requestType" object, adding the
// serviceDeskId from a sibling "serviceDesk" object when the request type
// lacks one.
func requestTypeIn(container map[string]any) map[string]any {
	rt := object(container, "requestType")
	if rt == nil {
		return nil
	}

	desk := object(container, "serviceDesk")
	if _, ok := rt["serviceDeskId"]; !ok && desk != nil && desk["id"] != nil {
		// Copy first so that Webhook.Raw stays the body as Jira sent it.
		rt = maps.Clone(rt)
		rt["serviceDeskId"] = desk["id"]
	}
	return rt
}

// object returns m[key] when it is a JSON object, and nil otherwise.
func object(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// str returns m[key] when it is a JSON string, and "" otherwise.
func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

// issueTimeLayout is the layout of Jira's issue timestamps, such as
// "2025-03-04T09:30:11.662+0100".
const issueTimeLayout = "2006-01-02T15:04:05.000-0700"

// chooseIssueData is the hint that names the body to choose in the
// Automation action.
const chooseIssueData = `in the rule's "Send web request" action, choose "Issue data (Jira format)" as the web request body`

// ParseIssue decodes the body that Jira Automation's "Send web request"
// action sends with the issue data: {"issue": {"id", "key", "fields"}} for
// "Issue data (Jira format)", or that issue object itself for "Issue data
// (Automation format)". An optional "user" member beside "issue" becomes
// the ticket's current user.
//
// Event is empty, because such a body names no event. Timestamp is the
// issue's fields.updated in milliseconds since the Unix epoch, or zero when
// the issue has none, so that DeliveryID gives repeated calls for one
// change of an issue the same key. Raw is the body in webhook
// form, {"issue": …} with the "user" member when there is one.
//
// NOTE: both shapes follow Atlassian's published example payloads; no body
// from a live Automation rule has been checked against this.
//
// The error is a *fieldlink.Error with code EInvalid when the body is not a
// JSON object, or the issue has no key or no fields object.
func ParseIssue(body []byte) (Webhook, error) {
	var payload map[string]any
	if err := json.Unmarshal(body, &payload); err != nil || payload == nil {
		if strings.TrimSpace(string(body)) == "" {
			return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid, "request body is empty: %s", chooseIssueData)
		}
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid, "request body is not a JSON object: %s", chooseIssueData)
	}

	raw := payload
	issue, ok := payload["issue"].(map[string]any)
	if !ok {
		if _, hasFields := payload["fields"].(map[string]any); !hasFields {
			return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid, "request body has no issue object: %s", chooseIssueData)
		}
		issue = payload
		raw = map[string]any{"issue": issue}
	}

	key := str(issue, "key")
	if key == "" {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid, "request body's issue has no key: %s", chooseIssueData)
	}
	fields, ok := issue["fields"].(map[string]any)
	if !ok {
		return Webhook{}, fieldlink.Errorf(fieldlink.EInvalid, "issue %s in the request body has no fields object: %s", key, chooseIssueData)
	}

	return Webhook{
		Timestamp: updatedMillis(fields),
		IssueID:   idValue(issue["id"]),
		IssueKey:  key,
		Ticket:    ticketContext(fields, object(raw, "user")),
		Raw:       raw,
	}, nil
}

// updatedMillis returns fields.updated in milliseconds since the Unix
// epoch, or zero when it is missing or not in Jira's layout.
func updatedMillis(fields map[string]any) int64 {
	t, err := time.Parse(issueTimeLayout, str(fields, "updated"))
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

// idValue returns an issue ID decoded as a JSON string or number.
func idValue(v any) string {
	switch id := v.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatFloat(id, 'f', -1, 64)
	}
	return ""
}
