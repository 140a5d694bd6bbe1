package jira_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/jira"
)

const (
	apiEmail = "fieldlink@fabrikam.example"
	apiToken = "emulator-api-token"
)

// site is an emulated Jira site with one issue, and a client and datasource
// for it.
type site struct {
	jira   *jiracloud.Server
	client *jira.Client
	ds     fieldlink.Datasource
	key    string
}

func newSite(t *testing.T) site {
	t.Helper()

	emu := jiracloud.New(jiracloud.Options{
		SiteName: "fabrikam-demo",
		APIUsers: map[string]string{apiEmail: apiToken},
	})
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk", "Paris IT")
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)

	key, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Laptop does not start")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}

	return site{
		jira:   emu,
		client: jira.NewClient(basicUpstream{client: srv.Client()}),
		ds:     jiraDatasource(srv.URL, apiEmail, apiToken),
		key:    key,
	}
}

func rawFields(t *testing.T, fields map[string]any) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for id, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	return out
}

func TestEditIssueSuccess(t *testing.T) {
	s := newSite(t)
	fields := rawFields(t, map[string]any{
		jiracloud.FieldSupportGroup:   map[string]string{"value": "Paris IT"},
		jiracloud.FieldReporterOffice: "Paris",
	})

	if err := s.client.EditIssue(context.Background(), s.ds, s.key, fields); err != nil {
		t.Fatalf("EditIssue() error = %v", err)
	}

	if diff := cmp.Diff(s.jira.Edits(s.key), []map[string]json.RawMessage{fields}); diff != "" {
		t.Errorf("Edits (-got +want):\n%s", diff)
	}
	issue, _ := s.jira.Issue(s.key)
	group, _ := issue[jiracloud.FieldSupportGroup].(map[string]any)
	if group["value"] != "Paris IT" {
		t.Errorf("Support group = %v, want Paris IT", issue[jiracloud.FieldSupportGroup])
	}
	if issue[jiracloud.FieldReporterOffice] != "Paris" {
		t.Errorf("Reporter office = %v, want Paris", issue[jiracloud.FieldReporterOffice])
	}
}

func TestEditIssueRejected(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		fields map[string]any
		want   *jira.EditError
	}{
		{
			name:   "unknown field",
			fields: map[string]any{"customfield_19999": "x"},
			want: &jira.EditError{Status: 400, FieldErrors: map[string]string{
				"customfield_19999": "Field 'customfield_19999' cannot be set. It is not on the appropriate screen, or unknown.",
			}},
		},
		{
			name:   "bad option",
			fields: map[string]any{jiracloud.FieldSupportGroup: map[string]string{"value": "Lyon IT"}},
			want: &jira.EditError{Status: 400, FieldErrors: map[string]string{
				jiracloud.FieldSupportGroup: "Option value 'Lyon IT' is not valid",
			}},
		},
		{
			name:   "bare string for a select",
			fields: map[string]any{jiracloud.FieldSupportGroup: "Paris IT"},
			want: &jira.EditError{Status: 400, FieldErrors: map[string]string{
				jiracloud.FieldSupportGroup: "Could not find valid 'id' or 'value' in the Parent Option object.",
			}},
		},
		{
			name:   "unknown issue",
			key:    "ITH-404",
			fields: map[string]any{jiracloud.FieldReporterOffice: "Paris"},
			want: &jira.EditError{Status: 404, Messages: []string{
				"Issue does not exist or you do not have permission to see it.",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			key := s.key
			if tt.key != "" {
				key = tt.key
			}
			tt.want.IssueKey = key

			err := s.client.EditIssue(context.Background(), s.ds, key, rawFields(t, tt.fields))

			var got *jira.EditError
			if !errors.As(err, &got) {
				t.Fatalf("EditIssue() error = %v, want an *EditError", err)
			}
			if tt.want.Messages == nil {
				tt.want.Messages = []string{}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("EditError (-got +want):\n%s", diff)
			}
			if edits := s.jira.Edits(s.key); len(edits) != 0 {
				t.Errorf("Edits = %v, want none after a rejected edit", edits)
			}
		})
	}
}

func TestEditIssueRetryable(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       time.Duration
		// tolerance allows for an HTTP date's whole seconds and the time
		// the request takes.
		tolerance time.Duration
	}{
		{"429 with seconds", http.StatusTooManyRequests, "17", `{"errorMessages":["Rate limit exceeded."],"errors":{}}`, 17 * time.Second, 0},
		{"503 without header", http.StatusServiceUnavailable, "", "upstream unavailable", 0, 0},
		{"409 conflict", http.StatusConflict, "", `{"errorMessages":["The issue is being changed by another request."],"errors":{}}`, 0, 0},
		{"429 with HTTP date", http.StatusTooManyRequests, now.Add(90 * time.Second).UTC().Format(http.TimeFormat), "", 90 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()

			c := jira.NewClient(basicUpstream{client: srv.Client()})
			err := c.EditIssue(context.Background(), jiraDatasource(srv.URL, apiEmail, apiToken), "ITH-1",
				rawFields(t, map[string]any{"summary": "x"}))

			var got *jira.EditError
			if !errors.As(err, &got) {
				t.Fatalf("EditIssue() error = %v, want an *EditError", err)
			}
			if got.Status != tt.status || !got.Retryable {
				t.Errorf("Status, Retryable = %d, %v, want %d, true", got.Status, got.Retryable, tt.status)
			}
			if got.RetryAfter < tt.want-tt.tolerance || got.RetryAfter > tt.want+tt.tolerance {
				t.Errorf("RetryAfter = %s, want about %s", got.RetryAfter, tt.want)
			}
		})
	}
}

func TestEditIssueConflictMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"errorMessages":["The issue is being changed by another request."],"errors":{}}`))
	}))
	defer srv.Close()

	c := jira.NewClient(basicUpstream{client: srv.Client()})
	err := c.EditIssue(context.Background(), jiraDatasource(srv.URL, apiEmail, apiToken), "ITH-1",
		rawFields(t, map[string]any{"summary": "x"}))

	want := "edit issue ITH-1: Jira returned 409 Conflict: The issue is being changed by another request. " +
		"Another change to the issue was running in Jira, so the request may pass when sent again"
	if err == nil || err.Error() != want {
		t.Errorf("EditIssue() error = %v, want %q", err, want)
	}
}

func TestEditIssueNotRetryable(t *testing.T) {
	s := newSite(t)

	err := s.client.EditIssue(context.Background(), s.ds, s.key, rawFields(t, map[string]any{"status": "Done"}))

	var got *jira.EditError
	if !errors.As(err, &got) {
		t.Fatalf("EditIssue() error = %v, want an *EditError", err)
	}
	if got.Retryable || got.RetryAfter != 0 {
		t.Errorf("Retryable, RetryAfter = %v, %s, want false, 0", got.Retryable, got.RetryAfter)
	}
	if !strings.Contains(err.Error(), "status: Field 'status' cannot be set") {
		t.Errorf("Error() = %q, want it to name the field and Jira's message", err)
	}
}

func TestEditIssueEscapesKey(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	c := jira.NewClient(basicUpstream{client: srv.Client()})
	err := c.EditIssue(context.Background(), jiraDatasource(srv.URL, apiEmail, apiToken), "ITH-1/../../myself?x", nil)
	if err != nil {
		t.Fatalf("EditIssue() error = %v", err)
	}

	if want := "/rest/api/3/issue/ITH-1%2F..%2F..%2Fmyself%3Fx"; gotPath != want {
		t.Errorf("path = %q, want %q", gotPath, want)
	}
}

func TestEditIssueSendsFieldsOnly(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request = %s with Content-Type %q, want PUT with application/json", r.Method, r.Header.Get("Content-Type"))
		}
		if r.URL.RawQuery != "" {
			t.Errorf("query = %q, want none so Jira's notifyUsers default applies", r.URL.RawQuery)
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	c := jira.NewClient(basicUpstream{client: srv.Client()})
	err := c.EditIssue(context.Background(), jiraDatasource(srv.URL, apiEmail, apiToken), "ITH-1",
		map[string]json.RawMessage{"customfield_10051": json.RawMessage(`{"value":"Paris"}`)})
	if err != nil {
		t.Fatalf("EditIssue() error = %v", err)
	}

	want := map[string]any{"fields": map[string]any{"customfield_10051": map[string]any{"value": "Paris"}}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("body (-got +want):\n%s", diff)
	}
}

func TestEditIssueEmptyKey(t *testing.T) {
	c := jira.NewClient(basicUpstream{})
	err := c.EditIssue(context.Background(), fieldlink.Datasource{}, "", nil)
	if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
		t.Errorf("EditIssue() error = %v, want code %q", err, fieldlink.EInvalid)
	}
}

func TestMyself(t *testing.T) {
	s := newSite(t)

	u, err := s.client.Myself(context.Background(), s.ds)
	if err != nil {
		t.Fatalf("Myself() error = %v", err)
	}
	if u.EmailAddress != apiEmail || u.DisplayName != "fieldlink" || !strings.HasPrefix(u.AccountID, "712020:") {
		t.Errorf("Myself() = %+v, want the API user %s", u, apiEmail)
	}
}

func TestMyselfWrongToken(t *testing.T) {
	s := newSite(t)
	s.ds.Auth.Password = "wrong"

	_, err := s.client.Myself(context.Background(), s.ds)
	if err == nil {
		t.Fatal("Myself() error = nil, want 401")
	}
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "API token") {
		t.Errorf("Myself() error = %q, want the status and a hint about the API token", err)
	}
}

// retryLaterUpstream answers like an upstream that gave up waiting for a
// Retry-After longer than its budget: the 429 response and an error.
type retryLaterUpstream struct{}

func (retryLaterUpstream) Do(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	header := http.Header{"Retry-After": []string{"120"}}
	return fieldlink.UpstreamResponse{Status: http.StatusTooManyRequests, Header: header, Body: []byte(`{"errorMessages":["Rate limit exceeded."]}`)},
		errors.New("the API asked to retry after 2m0s, past the time left")
}

func TestEditIssueRetryLaterStaysRetryable(t *testing.T) {
	err := jira.NewClient(retryLaterUpstream{}).EditIssue(context.Background(), fieldlink.Datasource{Name: "Jira"}, "ITH-1",
		map[string]json.RawMessage{"summary": json.RawMessage(`"x"`)})

	var editErr *jira.EditError
	if !errors.As(err, &editErr) {
		t.Fatalf("error = %v, want an *EditError", err)
	}
	if !editErr.Retryable || editErr.RetryAfter != 2*time.Minute {
		t.Errorf("EditError = %+v, want retryable after 2m", editErr)
	}
}
