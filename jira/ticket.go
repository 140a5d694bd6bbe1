package jira

import (
	"maps"
	"sort"
	"strings"

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
