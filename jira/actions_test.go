package jira_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/jira"
)

// recordingSite responds to each request with a canned Jira response and
// records the bodies it got, by method and path.
type recordingSite struct {
	mu     sync.Mutex
	bodies map[string]string
}

func (s *recordingSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies[r.Method+" "+r.URL.Path] = string(body)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPut:
		w.WriteHeader(http.StatusNoContent)
	case strings.HasSuffix(r.URL.Path, "/editmeta"):
		w.Write([]byte(`{"fields": {"customfield_10050": {"required": false, "name": "Support group", "key": "customfield_10050",
			"operations": ["set"], "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10050},
			"allowedValues": [{"self": "http://127.0.0.1/rest/api/3/customFieldOption/10100", "value": "Paris IT", "id": "10100"}]}}}`))
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comment"):
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id": "10000", "body": {"type": "doc", "version": 1, "content": []}}`))
	case strings.HasSuffix(r.URL.Path, "/comment"):
		w.Write([]byte(`{"startAt": 0, "maxResults": 100, "total": 1, "comments": [{"id": "10000", "body": {"type": "doc", "version": 1,
			"content": [{"type": "paragraph", "content": [{"type": "text", "text": "Routed"}, {"type": "hardBreak"}, {"type": "text", "text": "to Paris"}]}]}}]}`))
	case r.URL.Path == "/rest/api/3/user":
		w.Write([]byte(`{"accountId": "712020:1", "accountType": "atlassian", "active": true, "displayName": "Ada"}`))
	default:
		w.Write([]byte(`{"id": "10001", "key": "ITH-1", "fields": {"labels": ["vip"], "customfield_10050": {"value": "Paris IT", "id": "10100"}}}`))
	}
}

func TestTriageCallsMatchSpec(t *testing.T) {
	doc := loadSpec(t)
	site := &recordingSite{bodies: map[string]string{}}
	checker := &specChecker{next: site, operations: map[string]int{}}
	srv := httptest.NewServer(checker)
	defer srv.Close()
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router: %v", err)
	}
	checker.router = router
	client := jira.NewClient(basicUpstream{client: srv.Client()})
	ds := jiraDatasource(srv.URL, apiEmail, apiToken)
	ctx := context.Background()

	if err := client.UpdateIssue(ctx, ds, "ITH-1", jira.IssueUpdate{
		Fields:    rawFields(t, map[string]any{"customfield_10050": map[string]string{"value": "Paris IT"}}),
		AddLabels: []string{"paris", "routed"},
	}); err != nil {
		t.Fatalf("UpdateIssue: %v", err)
	}
	meta, err := client.EditMeta(ctx, ds, "ITH-1")
	if err != nil {
		t.Fatalf("EditMeta: %v", err)
	}
	fields, err := client.IssueFields(ctx, ds, "ITH-1", []string{"labels", "customfield_10050"})
	if err != nil {
		t.Fatalf("IssueFields: %v", err)
	}
	if err := client.AddComment(ctx, ds, "ITH-1", "Routed\nto Paris", true); err != nil {
		t.Fatalf("AddComment: %v", err)
	}
	comments, err := client.Comments(ctx, ds, "ITH-1")
	if err != nil {
		t.Fatalf("Comments: %v", err)
	}
	user, err := client.User(ctx, ds, "712020:1")
	if err != nil {
		t.Fatalf("User: %v", err)
	}

	for _, e := range checker.errs {
		t.Error(e)
	}
	if got := site.bodies["PUT /rest/api/3/issue/ITH-1"]; got != `{"fields":{"customfield_10050":{"value":"Paris IT"}},"update":{"labels":[{"add":"paris"},{"add":"routed"}]}}` {
		t.Errorf("edit body = %s", got)
	}
	wantComment := `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Routed"},{"type":"hardBreak"},{"type":"text","text":"to Paris"}]}]},"properties":[{"key":"sd.public.comment","value":{"internal":true}}]}`
	if got := site.bodies["POST /rest/api/3/issue/ITH-1/comment"]; got != wantComment {
		t.Errorf("comment body = %s", got)
	}
	wantMeta := jira.FieldMeta{Name: "Support group", Operations: []string{"set"},
		Schema:        jira.FieldSchema{Type: "option", Custom: "com.atlassian.jira.plugin.system.customfieldtypes:select"},
		AllowedValues: []jira.AllowedValue{{ID: "10100", Value: "Paris IT"}}}
	if diff := cmp.Diff(meta["customfield_10050"], wantMeta); diff != "" {
		t.Errorf("edit meta (-got +want):\n%s", diff)
	}
	if string(fields["labels"]) != `["vip"]` {
		t.Errorf("labels = %s", fields["labels"])
	}
	if diff := cmp.Diff(comments, []string{"Routed\nto Paris"}); diff != "" {
		t.Errorf("comments (-got +want):\n%s", diff)
	}
	if user.AccountID != "712020:1" || user.EmailAddress != "" {
		t.Errorf("user = %+v, want the account without an email", user)
	}
}

func TestAddRequestParticipants(t *testing.T) {
	var gotPath, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gotPath, gotBody = r.Method+" "+r.URL.Path, string(body)
		if strings.Contains(string(body), "unknown") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"errorMessage": "Unknown account", "i18nErrorMessage": {"i18nKey": "x", "parameters": []}}`))
			return
		}
		w.Write([]byte(`{"size": 1, "start": 0, "limit": 50, "isLastPage": true, "values": []}`))
	}))
	defer srv.Close()
	client := jira.NewClient(basicUpstream{client: srv.Client()})
	ds := jiraDatasource(srv.URL, apiEmail, apiToken)

	if err := client.AddRequestParticipants(context.Background(), ds, "ITH-1", []string{"712020:1"}); err != nil {
		t.Fatalf("AddRequestParticipants: %v", err)
	}
	if gotPath != "POST /rest/servicedeskapi/request/ITH-1/participant" {
		t.Errorf("request = %s", gotPath)
	}
	var body map[string][]string
	if err := json.Unmarshal([]byte(gotBody), &body); err != nil || !cmp.Equal(body["accountIds"], []string{"712020:1"}) {
		t.Errorf("body = %s, want accountIds", gotBody)
	}

	err := client.AddRequestParticipants(context.Background(), ds, "ITH-1", []string{"unknown"})
	var editErr *jira.EditError
	if !errors.As(err, &editErr) || editErr.Status != http.StatusBadRequest || editErr.Retryable {
		t.Fatalf("error = %v, want a final *jira.EditError with status 400", err)
	}
	if !strings.Contains(err.Error(), "add request participants to ITH-1") {
		t.Errorf("error %q does not name the request", err)
	}
}
