package jira_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// createdBody returns an issue_created body shaped like Jira Cloud's, with
// reporterEmail placed verbatim as the reporter's emailAddress member (or the
// member left out when it is "-").
func createdBody(reporterEmail string) string {
	email := `"emailAddress": ` + reporterEmail + `,`
	if reporterEmail == "-" {
		email = ""
	}
	return `{
  "timestamp": 1733338800123,
  "webhookEvent": "jira:issue_created",
  "issue_event_type_name": "issue_created",
  "user": {
    "self": "http://127.0.0.1:8080/rest/api/2/user?accountId=712020%3Aagent",
    "accountId": "712020:agent",
    "displayName": "Service Agent",
    "active": true,
    "timeZone": "Europe/Paris",
    "accountType": "atlassian"
  },
  "issue": {
    "id": "10042",
    "self": "http://127.0.0.1:8080/rest/api/2/issue/10042",
    "key": "ITH-42",
    "fields": {
      "summary": "Laptop does not start",
      "labels": [],
      "created": "2024-12-04T19:00:00.123+0000",
      "priority": {"id": "3", "name": "Medium"},
      "status": {"id": "10001", "name": "Waiting for support"},
      "issuetype": {"id": "10004", "name": "[System] Service request", "subtask": false},
      "project": {"id": "10000", "key": "ITH", "name": "IT Help", "projectTypeKey": "service_desk"},
      "reporter": {
        "self": "http://127.0.0.1:8080/rest/api/2/user?accountId=712020%3Areporter",
        "accountId": "712020:reporter",
        ` + email + `
        "displayName": "Adele Vance",
        "active": true,
        "accountType": "atlassian"
      },
      "customfield_10010": {
        "requestType": {"id": "7", "name": "Get IT help", "serviceDeskId": "1", "issueTypeId": "10004"},
        "currentStatus": {"status": "Waiting for support", "statusCategory": "NEW"}
      },
      "customfield_10050": null,
      "customfield_10052": "Paris"
    }
  }
}`
}

func TestParseWebhookReporterEmail(t *testing.T) {
	tests := []struct {
		name  string
		email string
		want  string
	}{
		{"present", `"adele.vance@fabrikam.example"`, "adele.vance@fabrikam.example"},
		{"missing", "-", ""},
		{"empty", `""`, ""},
		{"null", "null", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := jira.ParseWebhook([]byte(createdBody(tt.email)))
			if err != nil {
				t.Fatalf("ParseWebhook() error = %v", err)
			}

			want := &fieldlink.User{AccountID: "712020:reporter", EmailAddress: tt.want, DisplayName: "Adele Vance"}
			if diff := cmp.Diff(w.Ticket.Reporter, want); diff != "" {
				t.Errorf("Reporter (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseWebhookIssueCreated(t *testing.T) {
	w, err := jira.ParseWebhook([]byte(createdBody(`"adele.vance@fabrikam.example"`)))
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}

	if w.Event != jira.EventIssueCreated {
		t.Errorf("Event = %q, want %q", w.Event, jira.EventIssueCreated)
	}
	if w.Timestamp != 1733338800123 {
		t.Errorf("Timestamp = %d, want 1733338800123", w.Timestamp)
	}
	if w.IssueID != "10042" || w.IssueKey != "ITH-42" {
		t.Errorf("IssueID, IssueKey = %q, %q, want 10042, ITH-42", w.IssueID, w.IssueKey)
	}

	wantActor := &fieldlink.User{AccountID: "712020:agent", DisplayName: "Service Agent"}
	if diff := cmp.Diff(w.Ticket.CurrentUser, wantActor); diff != "" {
		t.Errorf("CurrentUser (-got +want):\n%s", diff)
	}
	if got := w.Ticket.Project["key"]; got != "ITH" {
		t.Errorf("Project key = %v, want ITH", got)
	}
	if got := w.Ticket.IssueType["name"]; got != "[System] Service request" {
		t.Errorf("IssueType name = %v, want [System] Service request", got)
	}

	wantRequestType := map[string]any{"id": "7", "name": "Get IT help", "serviceDeskId": "1", "issueTypeId": "10004"}
	if diff := cmp.Diff(w.Ticket.RequestType, wantRequestType); diff != "" {
		t.Errorf("RequestType (-got +want):\n%s", diff)
	}

	if got := w.Ticket.Issue["customfield_10052"]; got != "Paris" {
		t.Errorf("Issue customfield_10052 = %v, want Paris", got)
	}
	if got, ok := w.Ticket.Issue["customfield_10050"]; !ok || got != nil {
		t.Errorf("Issue customfield_10050 = %v (present %v), want null present", got, ok)
	}
	if got := w.Ticket.Issue["summary"]; got != "Laptop does not start" {
		t.Errorf("Issue summary = %v, want Laptop does not start", got)
	}

	if got := w.Raw["issue_event_type_name"]; got != "issue_created" {
		t.Errorf("Raw issue_event_type_name = %v, want issue_created", got)
	}
}

func TestParseWebhookRequestTypeShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]any
	}{
		{
			name: "service desk and request type",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{
				"serviceDesk":{"id":"3"},"requestType":{"id":"12","name":"Request new hardware"}}}}`,
			want: map[string]any{"id": "12", "name": "Request new hardware", "serviceDeskId": "3"},
		},
		{
			name: "request type field",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{
				"requestType":{"id":"12","serviceDeskId":"4"}}}}`,
			want: map[string]any{"id": "12", "serviceDeskId": "4"},
		},
		{
			name: "custom field",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{
				"customfield_10099":{"requestType":{"id":"5"}}}}}`,
			want: map[string]any{"id": "5"},
		},
		{
			name: "none",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{"customfield_10010":null}}}`,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := jira.ParseWebhook([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseWebhook() error = %v", err)
			}
			if diff := cmp.Diff(w.Ticket.RequestType, tt.want); diff != "" {
				t.Errorf("RequestType (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseWebhookServiceDeskKeepsRaw(t *testing.T) {
	body := `{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{
		"serviceDesk":{"id":"3"},"requestType":{"id":"12"}}}}`

	w, err := jira.ParseWebhook([]byte(body))
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}

	raw := w.Raw["issue"].(map[string]any)["fields"].(map[string]any)["requestType"]
	if diff := cmp.Diff(raw, map[string]any{"id": "12"}); diff != "" {
		t.Errorf("Raw requestType changed (-got +want):\n%s", diff)
	}
}

func TestParseWebhookInvalid(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		message string
	}{
		{"bad JSON", `{"webhookEvent": "jira:issue_created",`, "not a Jira webhook JSON object"},
		{"array", `[]`, "not a Jira webhook JSON object"},
		{"missing event", `{"issue":{"key":"ITH-1"}}`, "no webhookEvent"},
		{"missing issue", `{"webhookEvent":"jira:issue_created"}`, "no issue.key"},
		{"missing key", `{"webhookEvent":"jira:issue_created","issue":{"id":"10001"}}`, "no issue.key"},
		{"bad timestamp", `{"webhookEvent":"jira:issue_created","timestamp":"soon","issue":{"key":"ITH-1"}}`, "not a Jira webhook JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jira.ParseWebhook([]byte(tt.body))
			if err == nil {
				t.Fatal("ParseWebhook() error = nil, want an error")
			}

			var fe *fieldlink.Error
			if !errors.As(err, &fe) || fe.Code != fieldlink.EInvalid {
				t.Errorf("error = %#v, want a *fieldlink.Error with code %q", err, fieldlink.EInvalid)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error = %q, want it to contain %q", err, tt.message)
			}
		})
	}
}

func TestParseWebhookNumericIssueID(t *testing.T) {
	w, err := jira.ParseWebhook([]byte(`{"webhookEvent":"jira:issue_updated","timestamp":1.7e12,"issue":{"id":10007,"key":"ITH-7"}}`))
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	if w.IssueID != "10007" {
		t.Errorf("IssueID = %q, want 10007", w.IssueID)
	}
	if w.Timestamp != 1700000000000 {
		t.Errorf("Timestamp = %d, want 1700000000000", w.Timestamp)
	}
	if w.Ticket.Reporter != nil {
		t.Errorf("Reporter = %+v, want nil for an issue without fields", w.Ticket.Reporter)
	}
}

func TestDeliveryID(t *testing.T) {
	w := jira.Webhook{Event: jira.EventIssueCreated, Timestamp: 1733338800123, IssueID: "10042", IssueKey: "ITH-42"}

	tests := []struct {
		name   string
		header http.Header
		hook   jira.Webhook
		want   string
	}{
		{"identifier header", http.Header{"X-Atlassian-Webhook-Identifier": {"3b1f0c"}}, w, "3b1f0c"},
		{"no header", http.Header{}, w, "10042:jira:issue_created:1733338800123"},
		{"no header or issue ID", nil, jira.Webhook{Event: jira.EventIssueUpdated, Timestamp: 5, IssueKey: "ITH-1"}, "ITH-1:jira:issue_updated:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jira.DeliveryID(tt.header, tt.hook); got != tt.want {
				t.Errorf("DeliveryID() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseWebhookChangelog(t *testing.T) {
	body := `{"timestamp": 1733338800123, "webhookEvent": "jira:issue_updated",
		"issue": {"id": "10001", "key": "ITH-1", "fields": {}},
		"changelog": {"id": "10100", "items": [
			{"field": "Support group", "fieldtype": "custom", "fieldId": "customfield_10050",
			 "from": null, "fromString": null, "to": "10101", "toString": "Paris IT"},
			{"field": "labels", "fieldtype": "jira", "from": null, "fromString": "", "to": null, "toString": "vip"}]}}`

	w, err := jira.ParseWebhook([]byte(body))
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}

	want := []jira.ChangedField{
		{FieldID: "customfield_10050", Field: "Support group", FieldType: "custom", To: "10101", ToString: "Paris IT"},
		{FieldID: "labels", Field: "labels", FieldType: "jira", ToString: "vip"},
	}
	if diff := cmp.Diff(want, w.Changelog); diff != "" {
		t.Errorf("Changelog (-want +got):\n%s", diff)
	}

	created, err := jira.ParseWebhook([]byte(createdBody(`"adele.vance@fabrikam.example"`)))
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	if created.Changelog != nil {
		t.Errorf("Changelog of issue_created = %+v, want none", created.Changelog)
	}
}

func TestParseIssueShapes(t *testing.T) {
	issue := `{"id": 10042, "key": "ITH-42", "fields": {
		"updated": "2025-03-04T09:30:11.662+0100",
		"project": {"key": "ITH"},
		"reporter": {"accountId": "712020:priya", "emailAddress": "priya.nair@fabrikam.example"}}}`
	updated := time.Date(2025, 3, 4, 8, 30, 11, 662e6, time.UTC).UnixMilli()

	tests := []struct {
		name string
		body string
		user string
	}{
		{"Jira format", `{"issue": ` + issue + `}`, ""},
		{"Automation format", issue, ""},
		{"Jira format with user", `{"issue": ` + issue + `, "user": {"accountId": "712020:agent"}}`, "712020:agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := jira.ParseIssue([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseIssue() error = %v", err)
			}
			if w.IssueID != "10042" || w.IssueKey != "ITH-42" || w.Event != "" || w.Timestamp != updated {
				t.Errorf("ParseIssue() = id %q key %q event %q timestamp %d, want 10042 ITH-42, no event, %d",
					w.IssueID, w.IssueKey, w.Event, w.Timestamp, updated)
			}
			if w.Ticket.Reporter == nil || w.Ticket.Reporter.EmailAddress != "priya.nair@fabrikam.example" {
				t.Errorf("Reporter = %+v", w.Ticket.Reporter)
			}
			if w.Ticket.Project["key"] != "ITH" {
				t.Errorf("Project = %v, want key ITH", w.Ticket.Project)
			}
			gotUser := ""
			if w.Ticket.CurrentUser != nil {
				gotUser = w.Ticket.CurrentUser.AccountID
			}
			if gotUser != tt.user {
				t.Errorf("CurrentUser = %q, want %q", gotUser, tt.user)
			}
			if _, ok := w.Raw["issue"].(map[string]any); !ok {
				t.Errorf("Raw = %v, want the issue under \"issue\"", w.Raw)
			}
		})
	}
}

func TestParseIssueInvalid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", "request body is empty"},
		{"not an object", `[1]`, "not a JSON object"},
		{"no issue", `{"webhookEvent": "x"}`, "no issue object"},
		{"no key", `{"issue": {"fields": {}}}`, "has no key"},
		{"no fields", `{"issue": {"key": "ITH-1"}}`, "has no fields object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jira.ParseIssue([]byte(tt.body))
			if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
				t.Fatalf("ParseIssue() error = %v, want code %s", err, fieldlink.EInvalid)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || !strings.Contains(msg, "Issue data (Jira format)") {
				t.Errorf("error = %q, want %q and how to configure the action", msg, tt.want)
			}
		})
	}
}
