package jiracloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/jira"
)

// changelogItem is an item of a jira:issue_updated changelog, with Jira's
// nulls kept apart from empty strings.
type changelogItem struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	FieldID    string  `json:"fieldId"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

func ptr(s string) *string { return &s }

func TestUpdateIssueSendsChangelog(t *testing.T) {
	emu, _, rc := newEmulator(t)
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk", "Paris IT")
	ctx := context.Background()
	key, err := emu.CreateIssue(ctx, jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	agent := jiracloud.Account{Email: "megan.bowen@fabrikam.example", DisplayName: "Megan Bowen"}

	if err := emu.UpdateIssue(ctx, key, map[string]any{
		jiracloud.FieldSupportGroup:   map[string]string{"value": "Paris IT"},
		jiracloud.FieldReporterOffice: "Paris",
		"labels":                      []string{"vip"},
		"summary":                     "Laptop",
	}, agent); err != nil {
		t.Fatalf("UpdateIssue() error = %v", err)
	}

	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("deliveries = %d, want issue_created and issue_updated", len(got))
	}
	d := got[1]
	if err := jira.VerifySignature(hookSecret, d.body, d.header.Get("X-Hub-Signature")); err != nil {
		t.Errorf("VerifySignature() error = %v", err)
	}

	var body struct {
		WebhookEvent string `json:"webhookEvent"`
		User         struct{ DisplayName string }
		Changelog    struct {
			ID    string          `json:"id"`
			Items []changelogItem `json:"items"`
		}
	}
	if err := json.Unmarshal(d.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.WebhookEvent != "jira:issue_updated" || body.User.DisplayName != "Megan Bowen" || body.Changelog.ID == "" {
		t.Errorf("webhookEvent, user, changelog id = %q, %q, %q", body.WebhookEvent, body.User.DisplayName, body.Changelog.ID)
	}

	// The summary did not change, so it has no item.
	want := []changelogItem{
		{Field: "Support group", FieldType: "custom", FieldID: jiracloud.FieldSupportGroup, To: ptr("10101"), ToString: ptr("Paris IT")},
		{Field: "Reporter office", FieldType: "custom", FieldID: jiracloud.FieldReporterOffice, ToString: ptr("Paris")},
		{Field: "labels", FieldType: "jira", FieldID: "labels", FromString: ptr(""), ToString: ptr("vip")},
	}
	if diff := cmp.Diff(want, body.Changelog.Items); diff != "" {
		t.Errorf("changelog items (-want +got):\n%s", diff)
	}

	w, err := jira.ParseWebhook(d.body)
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	var ids []string
	for _, c := range w.Changelog {
		ids = append(ids, c.FieldID)
	}
	if diff := cmp.Diff([]string{jiracloud.FieldSupportGroup, jiracloud.FieldReporterOffice, "labels"}, ids); diff != "" {
		t.Errorf("ParseWebhook() changelog field IDs (-want +got):\n%s", diff)
	}
}

func TestUpdateIssueRejectsInvalidField(t *testing.T) {
	emu, _, rc := newEmulator(t)
	key, _ := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "Mouse")

	err := emu.UpdateIssue(context.Background(), key, map[string]any{jiracloud.FieldSupportGroup: map[string]string{"value": "Nowhere"}}, jiracloud.Account{Email: "b@fabrikam.example"})
	if err == nil || !strings.Contains(err.Error(), "Option value 'Nowhere' is not valid") {
		t.Errorf("UpdateIssue() error = %v, want Jira's message for the option", err)
	}
	if n := len(rc.deliveries()); n != 1 {
		t.Errorf("deliveries = %d, want only issue_created", n)
	}
}

func TestRESTEditSendsIssueUpdated(t *testing.T) {
	emu, srv, rc := newEmulator(t)
	emu.AddOptions(jiracloud.FieldLocationQueue, "Paris", "Lyon")
	key, _ := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "Dock")

	resp := put(t, srv, "/rest/api/3/issue/"+key, `{"fields": {"`+jiracloud.FieldLocationQueue+`": {"value": "Lyon"}}}`)
	if resp.status != http.StatusNoContent {
		t.Fatalf("PUT status = %d: %s", resp.status, resp.body)
	}
	// Setting the same value again changes nothing, so Jira sends nothing.
	put(t, srv, "/rest/api/3/issue/"+key, `{"fields": {"`+jiracloud.FieldLocationQueue+`": {"value": "Lyon"}}}`)
	emu.WaitDeliveries()

	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("deliveries = %d, want issue_created and one issue_updated", len(got))
	}
	w, err := jira.ParseWebhook(got[1].body)
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	if w.Event != jira.EventIssueUpdated || w.Ticket.CurrentUser == nil || w.Ticket.CurrentUser.EmailAddress != apiEmail {
		t.Errorf("event %q by %+v, want jira:issue_updated by the API user", w.Event, w.Ticket.CurrentUser)
	}
	if len(w.Changelog) != 1 || w.Changelog[0].FieldID != jiracloud.FieldLocationQueue || w.Changelog[0].ToString != "Lyon" {
		t.Errorf("Changelog = %+v, want Location queue set to Lyon", w.Changelog)
	}
}

func TestReporterOfficeOffScreen(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{
		APIUsers:                map[string]string{apiEmail: apiToken},
		ReporterOfficeOffScreen: true,
		Now:                     func() time.Time { return time.Date(2024, 12, 4, 19, 0, 0, 0, time.UTC) },
	})
	srv := newServer(t, emu)
	key, _ := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "Office")

	resp := put(t, srv, "/rest/api/3/issue/"+key, `{"fields": {"`+jiracloud.FieldReporterOffice+`": "Paris"}}`)
	want := "Field '" + jiracloud.FieldReporterOffice + "' cannot be set. It is not on the appropriate screen, or unknown."
	if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, want) {
		t.Errorf("PUT = %d %s, want 400 with %q", resp.status, resp.body, want)
	}

	meta := get(t, srv, "/rest/api/3/issue/"+key+"/editmeta", apiEmail, apiToken)
	if strings.Contains(meta.body, jiracloud.FieldReporterOffice) || !strings.Contains(meta.body, jiracloud.FieldSupportGroup) {
		t.Errorf("editmeta = %s, want Support group and no Reporter office", meta.body)
	}
	if fields, _ := emu.Issue(key); fields[jiracloud.FieldReporterOffice] != nil {
		t.Errorf("Reporter office = %v, want it unchanged and null", fields[jiracloud.FieldReporterOffice])
	}
}

// newServer serves emu on loopback and closes both when the test ends.
func newServer(t *testing.T, emu *jiracloud.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	emu.SetBaseURL(srv.URL)
	return srv
}
