package jiracloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/jira"
)

const hookSecret = "webhook-secret"

// received is one delivery as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that responds with the next of its statuses
// (200 once they run out) and records every delivery.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)

	rc.mu.Lock()
	rc.got = append(rc.got, received{header: r.Header.Clone(), body: body})
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	rc.mu.Unlock()

	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// newEmulator returns an emulator served on loopback whose webhooks go to a
// receiver responding with statuses.
func newEmulator(t *testing.T, statuses ...int) (*jiracloud.Server, *httptest.Server, *receiver) {
	t.Helper()

	emu := jiracloud.New(jiracloud.Options{
		SiteName:     "fabrikam-demo",
		APIUsers:     map[string]string{apiEmail: apiToken},
		Now:          func() time.Time { return time.Date(2024, 12, 4, 19, 0, 0, 0, time.UTC) },
		RetryBackoff: time.Millisecond,
		MaxRetries:   3,
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)

	rc := &receiver{statuses: statuses}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	emu.RegisterWebhook(hook.URL+"/hooks/jira", hookSecret)
	t.Cleanup(emu.Close)

	return emu, srv, rc
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode webhook body: %v", err)
	}
	return m
}

func TestCreateIssueDeliversSignedWebhook(t *testing.T) {
	emu, srv, rc := newEmulator(t)

	key, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example", DisplayName: "Adele Vance"}, "Laptop does not start")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	if key != "ITH-1" {
		t.Errorf("key = %q, want ITH-1", key)
	}

	got := rc.deliveries()
	if len(got) != 1 {
		t.Fatalf("deliveries = %d, want 1", len(got))
	}
	d := got[0]

	if err := jira.VerifySignature(hookSecret, d.body, d.header.Get("X-Hub-Signature")); err != nil {
		t.Errorf("VerifySignature() error = %v", err)
	}
	for name, want := range map[string]string{
		"Content-Type":             "application/json",
		"X-Atlassian-Webhook-Flow": "Primary",
	} {
		if v := d.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	if d.header.Get("X-Atlassian-Webhook-Identifier") == "" {
		t.Error("header X-Atlassian-Webhook-Identifier is missing")
	}
	if v := d.header.Get("X-Atlassian-Webhook-Retry"); v != "" {
		t.Errorf("header X-Atlassian-Webhook-Retry = %q on a first delivery, want none", v)
	}

	body := decode(t, d.body)
	if body["webhookEvent"] != "jira:issue_created" || body["issue_event_type_name"] != "issue_created" {
		t.Errorf("webhookEvent, issue_event_type_name = %v, %v", body["webhookEvent"], body["issue_event_type_name"])
	}
	if body["timestamp"] != float64(time.Date(2024, 12, 4, 19, 0, 0, 0, time.UTC).UnixMilli()) {
		t.Errorf("timestamp = %v, want the creation time in milliseconds", body["timestamp"])
	}
	if _, ok := body["changelog"]; ok {
		t.Error("changelog is present in an issue_created body")
	}

	issue := body["issue"].(map[string]any)
	if issue["key"] != "ITH-1" || issue["id"] != "10001" || issue["self"] != srv.URL+"/rest/api/2/issue/10001" {
		t.Errorf("issue key, id, self = %v, %v, %v", issue["key"], issue["id"], issue["self"])
	}
	fields := issue["fields"].(map[string]any)
	project := fields["project"].(map[string]any)
	wantProject := map[string]any{"key": "ITH", "name": "IT Help", "projectTypeKey": "service_desk"}
	for k, v := range wantProject {
		if project[k] != v {
			t.Errorf("project %s = %v, want %v", k, project[k], v)
		}
	}
	if !strings.HasPrefix(project["self"].(string), srv.URL+"/") {
		t.Errorf("project self = %v, want a URL on %s", project["self"], srv.URL)
	}
	if got := fields["issuetype"].(map[string]any)["name"]; got != "[System] Service request" {
		t.Errorf("issuetype name = %v", got)
	}
	reporter := fields["reporter"].(map[string]any)
	if reporter["emailAddress"] != "adele.vance@fabrikam.example" || reporter["displayName"] != "Adele Vance" {
		t.Errorf("reporter = %v", reporter)
	}
	for _, id := range []string{jiracloud.FieldSupportGroup, jiracloud.FieldLocationQueue, jiracloud.FieldReporterOffice} {
		if v, ok := fields[id]; !ok || v != nil {
			t.Errorf("field %s = %v (present %v), want null", id, v, ok)
		}
	}
	if body["user"].(map[string]any)["accountId"] != reporter["accountId"] {
		t.Errorf("user = %v, want the reporter as the actor", body["user"])
	}

	// The body must decode into the ticket context fieldlink routes on.
	w, err := jira.ParseWebhook(d.body)
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	if w.IssueKey != "ITH-1" || w.Ticket.RequestType["name"] != "Get IT help" {
		t.Errorf("ParseWebhook() = key %q, request type %v", w.IssueKey, w.Ticket.RequestType)
	}
}

func TestCreateIssueHiddenEmail(t *testing.T) {
	emu, srv, rc := newEmulator(t)

	key, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "private@fabrikam.example", EmailHidden: true}, "VPN")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}

	d := rc.deliveries()[0]
	if strings.Contains(string(d.body), "private@fabrikam.example") {
		t.Errorf("webhook body contains the hidden email address:\n%s", d.body)
	}
	w, err := jira.ParseWebhook(d.body)
	if err != nil {
		t.Fatalf("ParseWebhook() error = %v", err)
	}
	if w.Ticket.Reporter == nil || w.Ticket.Reporter.EmailAddress != "" || w.Ticket.Reporter.AccountID == "" {
		t.Errorf("Reporter = %+v, want an account ID and no email address", w.Ticket.Reporter)
	}

	resp := get(t, srv, "/rest/api/3/issue/"+key, apiEmail, apiToken)
	if strings.Contains(resp.body, "private@fabrikam.example") {
		t.Errorf("GET issue contains the hidden email address:\n%s", resp.body)
	}
}

func TestRedeliverKeepsIdentifier(t *testing.T) {
	emu, _, rc := newEmulator(t)

	key, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Printer")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	if err := emu.Redeliver(context.Background(), key); err != nil {
		t.Fatalf("Redeliver() error = %v", err)
	}

	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("deliveries = %d, want 2", len(got))
	}
	first, second := got[0].header.Get("X-Atlassian-Webhook-Identifier"), got[1].header.Get("X-Atlassian-Webhook-Identifier")
	if first == "" || first != second {
		t.Errorf("identifiers = %q, %q, want the same one twice", first, second)
	}
	if diff := cmp.Diff(string(got[1].body), string(got[0].body)); diff != "" {
		t.Errorf("redelivered body differs (-got +want):\n%s", diff)
	}
	if err := jira.VerifySignature(hookSecret, got[1].body, got[1].header.Get("X-Hub-Signature")); err != nil {
		t.Errorf("VerifySignature() of the redelivery error = %v", err)
	}
}

func TestRedeliverUnknownIssue(t *testing.T) {
	emu, _, _ := newEmulator(t)
	if err := emu.Redeliver(context.Background(), "ITH-99"); err == nil {
		t.Error("Redeliver() error = nil, want an error for an unknown issue")
	}
}

func TestDeliveryRetriesAfter500(t *testing.T) {
	emu, _, rc := newEmulator(t, http.StatusInternalServerError, http.StatusServiceUnavailable)

	if _, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Monitor"); err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}

	got := rc.deliveries()
	if len(got) != 3 {
		t.Fatalf("deliveries = %d, want 3 (two failures, then success)", len(got))
	}
	id := got[0].header.Get("X-Atlassian-Webhook-Identifier")
	for i, d := range got {
		if v := d.header.Get("X-Atlassian-Webhook-Identifier"); v != id {
			t.Errorf("delivery %d identifier = %q, want %q", i, v, id)
		}
		wantRetry := ""
		if i > 0 {
			wantRetry = []string{"", "1", "2"}[i]
		}
		if v := d.header.Get("X-Atlassian-Webhook-Retry"); v != wantRetry {
			t.Errorf("delivery %d X-Atlassian-Webhook-Retry = %q, want %q", i, v, wantRetry)
		}
		if err := jira.VerifySignature(hookSecret, d.body, d.header.Get("X-Hub-Signature")); err != nil {
			t.Errorf("delivery %d VerifySignature() error = %v", i, err)
		}
	}
}

func TestDeliveryStatuses(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		attempts int
		wantErr  bool
	}{
		{"429 then success", []int{http.StatusTooManyRequests}, 2, false},
		{"409 then success", []int{http.StatusConflict}, 2, false},
		{"400 is not retried", []int{http.StatusBadRequest}, 1, true},
		{"401 is not retried", []int{http.StatusUnauthorized}, 1, true},
		{"gives up after the retries", []int{500, 500, 500, 500, 500}, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, _, rc := newEmulator(t, tt.statuses...)

			key, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Mouse")
			if (err != nil) != tt.wantErr {
				t.Errorf("CreateIssue() error = %v, want error %v", err, tt.wantErr)
			}
			if _, ok := emu.Issue(key); !ok {
				t.Errorf("Issue(%q) not found, want the issue created whatever the delivery did", key)
			}
			if got := len(rc.deliveries()); got != tt.attempts {
				t.Errorf("deliveries = %d, want %d", got, tt.attempts)
			}
		})
	}
}

func TestDeliveryRetriesConnectionError(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{RetryBackoff: time.Millisecond, MaxRetries: 2})

	// A listener that is closed at once leaves a loopback port that refuses
	// connections.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	emu.RegisterWebhook(closed.URL, hookSecret)

	_, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Dock")
	if err == nil || !strings.Contains(err.Error(), "gave up after 2 retries") {
		t.Errorf("CreateIssue() error = %v, want it to give up after 2 retries", err)
	}
}

func TestCreateIssueWithoutWebhook(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{})

	first, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "One")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	second, _ := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "Two")
	if first != "ITH-1" || second != "ITH-2" {
		t.Errorf("keys = %q, %q, want ITH-1, ITH-2", first, second)
	}
	if err := emu.Redeliver(context.Background(), first); err == nil {
		t.Error("Redeliver() error = nil, want an error when no webhook was registered")
	}
}
