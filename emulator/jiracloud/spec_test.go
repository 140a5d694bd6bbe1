package jiracloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/jira"
)

// specFile is Atlassian's Jira Cloud platform REST API v3 OpenAPI document,
// relative to the directory that holds go.mod.
const specFile = "../shared/specs/jira-platform-v3.openapi.json"

var (
	specOnce sync.Once
	spec     *jiracloud.Spec
	specErr  error
)

// loadSpec loads the OpenAPI document once per test binary, because it is
// large, and skips the test when the file is absent.
func loadSpec(t *testing.T) *jiracloud.Spec {
	t.Helper()

	specOnce.Do(func() {
		dir, err := os.Getwd()
		for err == nil {
			if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
				break
			}
			if filepath.Dir(dir) == dir {
				err = errors.New("no go.mod above the working directory")
			}
			dir = filepath.Dir(dir)
		}
		if err != nil {
			specErr = err
			return
		}
		spec, specErr = jiracloud.LoadSpec(filepath.Join(dir, specFile))
	})

	if errors.Is(specErr, fs.ErrNotExist) {
		t.Skipf("Jira OpenAPI document not found (%v): put the shared folder beside the module to check requests against it", specErr)
	}
	if specErr != nil {
		t.Fatalf("LoadSpec() error = %v", specErr)
	}
	return spec
}

// upstream is a minimal fieldlink.Upstream: it joins the datasource's base
// URL and the request path and sends basic auth.
type upstream struct{ client *http.Client }

func (u upstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	r, err := http.NewRequestWithContext(ctx, req.Method, strings.TrimSuffix(ds.BaseURL, "/")+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	for name, values := range req.Header {
		r.Header[name] = values
	}
	r.SetBasicAuth(ds.Auth.Username, ds.Auth.Password)

	resp, err := u.client.Do(r)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("send %s %s: %w", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, err
}

func TestSpecCheckDrivesJiraClient(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{
		APIUsers: map[string]string{apiEmail: apiToken},
		Spec:     loadSpec(t),
	})
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk", "Paris IT")
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	emu.SetBaseURL(srv.URL)

	ctx := context.Background()
	hidden := jiracloud.Account{Email: "private@fabrikam.example", EmailHidden: true}
	key, err := emu.CreateIssue(ctx, hidden, "Laptop does not start")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	colleague := emu.AddUser(jiracloud.Account{Email: "megan.bowen@fabrikam.example"})

	client := jira.NewClient(upstream{client: srv.Client()})
	ds := fieldlink.Datasource{Name: "Jira", BaseURL: srv.URL,
		Auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: apiEmail, Password: apiToken}}

	if _, err := client.EditMeta(ctx, ds, key); err != nil {
		t.Errorf("EditMeta() error = %v", err)
	}
	if err := client.EditIssue(ctx, ds, key, rawFields(t, map[string]any{
		jiracloud.FieldSupportGroup: map[string]string{"value": "Paris IT"},
	})); err != nil {
		t.Errorf("EditIssue() error = %v", err)
	}
	if err := client.EditIssue(ctx, ds, key, rawFields(t, map[string]any{"customfield_19999": "x"})); err == nil {
		t.Error("EditIssue() of an unknown field error = nil, want Jira's 400")
	}
	if err := client.AddComment(ctx, ds, key, "Routed to Paris IT\nby fieldlink", true); err != nil {
		t.Errorf("AddComment() error = %v", err)
	}
	if err := client.AddRequestParticipants(ctx, ds, key, []string{colleague}); err != nil {
		t.Errorf("AddRequestParticipants() error = %v", err)
	}
	if _, err := client.Myself(ctx, ds); err != nil {
		t.Errorf("Myself() error = %v", err)
	}
	reporter, err := client.User(ctx, ds, accountOf(t, emu, key))
	if err != nil {
		t.Errorf("User() error = %v", err)
	}
	if reporter.EmailAddress != "" {
		t.Errorf("User() email = %q, want none for an account that hides it", reporter.EmailAddress)
	}

	for _, v := range emu.SpecViolations() {
		t.Errorf("spec violation: %s", v)
	}
	ops := emu.SpecOperations()
	for _, op := range []string{
		"getEditIssueMeta 200", "editIssue 204", "editIssue 400", "addComment 201",
		"getCurrentUser 200", "getUser 200",
		"unchecked /rest/servicedeskapi/request/" + key + "/participant",
	} {
		if ops[op] != 1 {
			t.Errorf("operation %q checked %d times, want 1 (checked: %v)", op, ops[op], ops)
		}
	}
}

func TestSpecCheckReportsViolation(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{
		APIUsers: map[string]string{apiEmail: apiToken},
		Spec:     loadSpec(t),
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if _, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "a@fabrikam.example"}, "Mouse"); err != nil {
		t.Fatal(err)
	}

	// The document requires "fields" to be an object.
	do(t, srv, http.MethodPut, "/rest/api/3/issue/ITH-1", apiEmail, apiToken, `{"fields": "Paris"}`)

	if got := emu.SpecViolations(); len(got) != 1 || !strings.Contains(got[0], "PUT /rest/api/3/issue/ITH-1 request") {
		t.Errorf("SpecViolations() = %q, want one for the request body", got)
	}
}

// accountOf returns the reporter's account ID of the issue.
func accountOf(t *testing.T, emu *jiracloud.Server, key string) string {
	t.Helper()
	fields, ok := emu.Issue(key)
	if !ok {
		t.Fatalf("Issue(%q) not found", key)
	}
	return fields["reporter"].(map[string]any)["accountId"].(string)
}

// rawFields encodes each field value as JSON.
func rawFields(t *testing.T, fields map[string]any) map[string]json.RawMessage {
	t.Helper()
	raw := map[string]json.RawMessage{}
	for id, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		raw[id] = b
	}
	return raw
}
