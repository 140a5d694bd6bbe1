package jira_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/jira"
)

// specFile is Atlassian's Jira Cloud platform REST API v3 OpenAPI document,
// relative to the directory that holds go.mod.
const specFile = "../shared/specs/jira-platform-v3.openapi.json"

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
	specPath string
)

// loadSpec loads the OpenAPI document once per test binary, because it is
// large, and skips the test when the file is absent.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()

	specOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			specErr = err
			return
		}
		specPath = filepath.Join(root, specFile)
		if _, err := os.Stat(specPath); err != nil {
			return
		}
		specDoc, specErr = openapi3.NewLoader().LoadFromFile(specPath)
		if specErr == nil {
			specErr = allowNullFields(specDoc)
		}
	})

	if specErr != nil {
		t.Fatalf("load Jira OpenAPI document %s: %v", specPath, specErr)
	}
	if specDoc == nil {
		t.Skipf("Jira OpenAPI document not found at %s: put the shared folder beside the module to check requests against it", specPath)
	}
	return specDoc
}

// allowNullFields marks the values of IssueBean's "fields" nullable. Jira
// returns null for every empty field, and OpenAPI 3.0 allows null only with
// nullable: true, which Atlassian's document leaves out there.
func allowNullFields(doc *openapi3.T) error {
	bean := doc.Components.Schemas["IssueBean"]
	if bean == nil || bean.Value == nil || bean.Value.Properties["fields"] == nil {
		return errors.New("the document has no IssueBean schema with a fields property")
	}

	values := bean.Value.Properties["fields"].Value.AdditionalProperties.Schema
	if values == nil || values.Value == nil {
		return errors.New("IssueBean.fields has no additionalProperties schema")
	}
	values.Value.Nullable = true
	return nil
}

// moduleRoot returns the nearest directory above the working directory that
// holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// specChecker validates every request it serves, and the response to it,
// against the operations of the OpenAPI document.
type specChecker struct {
	router routers.Router
	next   http.Handler

	mu         sync.Mutex
	errs       []string
	operations map[string]int
}

func (c *specChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))

	route, params, err := c.router.FindRoute(r)
	if err != nil {
		c.fail("%s %s: no operation in the document: %v", r.Method, r.URL.Path, err)
		c.next.ServeHTTP(w, r)
		return
	}

	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		c.fail("%s %s request: %v", r.Method, r.URL.Path, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			// The document gives editIssue's 204 an application/json
			// content, but a 204 has no body, so there is nothing to check.
			ExcludeResponseBody: rec.Code == http.StatusNoContent,
		},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		c.fail("%s %s response %d: %v", r.Method, r.URL.Path, rec.Code, err)
	}

	c.mu.Lock()
	c.operations[fmt.Sprintf("%s %d", route.Operation.OperationID, rec.Code)]++
	c.mu.Unlock()

	for name, values := range rec.Header() {
		w.Header()[name] = values
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (c *specChecker) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func TestSpecEmulatorAndClient(t *testing.T) {
	doc := loadSpec(t)

	emu := jiracloud.New(jiracloud.Options{APIUsers: map[string]string{apiEmail: apiToken}})
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk", "Paris IT")
	emu.AddOptions(jiracloud.FieldLocationQueue, "Paris")
	checker := &specChecker{next: emu, operations: map[string]int{}}
	srv := httptest.NewServer(checker)
	defer srv.Close()
	emu.SetBaseURL(srv.URL)

	// Route by the emulator's address in place of the document's example
	// site, so that requests to the loopback server match operations.
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router from the Jira OpenAPI document: %v", err)
	}
	checker.router = router

	ctx := context.Background()
	key, err := emu.CreateIssue(ctx, jiracloud.Account{Email: "adele.vance@fabrikam.example", EmailHidden: true}, "Laptop does not start")
	if err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}

	up := basicUpstream{client: srv.Client()}
	client := jira.NewClient(up)
	ds := jiraDatasource(srv.URL, apiEmail, apiToken)

	if err := client.EditIssue(ctx, ds, key, rawFields(t, map[string]any{
		jiracloud.FieldSupportGroup:   map[string]string{"value": "Paris IT"},
		jiracloud.FieldLocationQueue:  map[string]string{"id": "10102"},
		jiracloud.FieldReporterOffice: "Paris",
		"labels":                      []string{"vip"},
	})); err != nil {
		t.Fatalf("EditIssue() error = %v", err)
	}
	if err := client.EditIssue(ctx, ds, key, rawFields(t, map[string]any{"customfield_19999": "x"})); err == nil {
		t.Fatal("EditIssue() with an unknown field error = nil, want 400")
	}
	if _, err := client.Myself(ctx, ds); err != nil {
		t.Fatalf("Myself() error = %v", err)
	}
	for _, path := range []string{
		"/rest/api/3/issue/" + key,
		"/rest/api/3/issue/" + key + "/editmeta",
		"/rest/api/3/issue/ITH-404",
		"/rest/api/3/serverInfo",
	} {
		if _, err := up.Do(ctx, ds, fieldlink.UpstreamRequest{Method: http.MethodGet, Path: path}); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}

	for _, e := range checker.errs {
		t.Error(e)
	}
	for _, op := range []string{
		"editIssue 204", "editIssue 400", "getCurrentUser 200",
		"getIssue 200", "getEditIssueMeta 200", "getIssue 404", "getServerInfo 200",
	} {
		if checker.operations[op] != 1 {
			t.Errorf("operation %q checked %d times, want 1 (checked: %v)", op, checker.operations[op], checker.operations)
		}
	}
}

// TestSpecCheckerRejects shows that the checker used above fails on a
// request or a response that the document does not allow.
func TestSpecCheckerRejects(t *testing.T) {
	doc := loadSpec(t)

	bad := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": 10001, "key": "ITH-1", "unknownMember": true}`))
	})
	checker := &specChecker{next: bad, operations: map[string]int{}}
	srv := httptest.NewServer(checker)
	defer srv.Close()

	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router from the Jira OpenAPI document: %v", err)
	}
	checker.router = router

	resp, err := srv.Client().Get(srv.URL + "/rest/api/3/issue/ITH-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(checker.errs) != 1 {
		t.Errorf("checker errors = %q, want one for an issue whose id is a number and which has an unknown member", checker.errs)
	}

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/rest/api/3/issue/ITH-1", bytes.NewReader([]byte(`{"fields": "Paris"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(checker.errs) != 2 {
		t.Errorf("checker errors = %q, want a second one for fields given as a string", checker.errs)
	}
}
