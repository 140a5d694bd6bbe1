package httpapi

import (
	"testing"

	"github.com/fieldlink/fieldlink/jira"
)

func TestAutomationBodyStoredAsReadableWebhook(t *testing.T) {
	body := []byte(`{"issue":{"key":"SD-7","fields":{}},"timestamp":"soon"}`)

	wh, payload, err := parseDelivery(body, true)
	if err != nil {
		t.Fatalf("parseDelivery: %v", err)
	}
	if wh.IssueKey != "SD-7" {
		t.Errorf("issue key = %q, want SD-7", wh.IssueKey)
	}

	stored, err := jira.ParseWebhook(payload)
	if err != nil {
		t.Fatalf("the stored body %s does not parse as a webhook: %v", payload, err)
	}
	if stored.IssueKey != "SD-7" || stored.Event != jira.EventIssueCreated {
		t.Errorf("stored webhook = %q %q, want SD-7 %q", stored.IssueKey, stored.Event, jira.EventIssueCreated)
	}
}
