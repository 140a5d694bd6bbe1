package jiracloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specHost is the origin that checked requests are matched under. Requests
// are routed by path, so the emulator's own address does not matter. Nothing
// is ever sent to this host.
const specHost = "jira.emulator.invalid"

// maxCheckedBody bounds the request body the spec check reads.
const maxCheckedBody = 4 << 20

// Spec is Atlassian's OpenAPI document of the Jira Cloud platform REST API
// v3, ready to check requests and responses against. One Spec may be shared
// by many servers.
type Spec struct {
	router routers.Router
}

// LoadSpec loads the OpenAPI document at path, such as
// jira-platform-v3.openapi.json. The error wraps fs.ErrNotExist when the file
// is absent, so that a test can skip instead of failing.
func LoadSpec(path string) (*Spec, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("load Jira OpenAPI document: %w", err)
	}

	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load Jira OpenAPI document %s: %w", path, err)
	}
	if err := allowNullFields(doc); err != nil {
		return nil, fmt.Errorf("load Jira OpenAPI document %s: %w", path, err)
	}

	doc.Servers = openapi3.Servers{{URL: "http://" + specHost}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route Jira OpenAPI document %s: %w", path, err)
	}
	return &Spec{router: router}, nil
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

// SpecViolations returns every way in which a request the server received,
// or its response, did not conform to Options.Spec, in the order they
// happened. It is empty when Options.Spec is nil.
func (s *Server) SpecViolations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// SpecOperations counts the requests checked against Options.Spec by
// operation ID and response status, such as "addComment 201". Requests
// outside the platform API, such as /rest/servicedeskapi, are counted under
// "unchecked <path>".
func (s *Server) SpecOperations() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()

	counts := make(map[string]int, len(s.operations))
	for k, v := range s.operations {
		counts[k] = v
	}
	return counts
}

// serveChecked serves r and checks the request and the response against
// the spec.
func (s *Server) serveChecked(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedBody))
	if err != nil {
		s.violate("%s %s: read request body: %v", r.Method, r.URL.Path, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	// The document covers the platform API only: Jira Service Management's
	// /rest/servicedeskapi is documented separately.
	if !strings.HasPrefix(r.URL.Path, "/rest/api/3/") {
		s.countOperation("unchecked " + r.URL.Path)
		s.serve(w, r)
		return
	}

	probe := r.Clone(context.WithoutCancel(r.Context()))
	probe.URL.Scheme, probe.URL.Host, probe.Host = "http", specHost, specHost
	probe.Body = io.NopCloser(bytes.NewReader(body))

	route, params, err := s.opts.Spec.router.FindRoute(probe)
	if err != nil {
		s.violate("%s %s: no operation in the document: %v", r.Method, r.URL.Path, err)
		s.serve(w, r)
		return
	}

	in := &openapi3filter.RequestValidationInput{
		Request:    probe,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		s.violate("%s %s request: %v", r.Method, r.URL.Path, err)
	}

	rec := httptest.NewRecorder()
	s.serve(rec, r)
	s.checkResponse(in, rec)
	s.countOperation(fmt.Sprintf("%s %d", route.Operation.OperationID, rec.Code))

	for name, values := range rec.Header() {
		w.Header()[name] = values
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// checkResponse validates a recorded response against the operation.
func (s *Server) checkResponse(in *openapi3filter.RequestValidationInput, rec *httptest.ResponseRecorder) {
	// Jira's rate-limiting guide, not each operation, documents 429 and the
	// transient 5xx statuses that ThrottleNext and FailNext send.
	documented := in.Route.Operation.Responses.Status(rec.Code) != nil
	if !documented && (rec.Code == http.StatusTooManyRequests || rec.Code >= 500) {
		return
	}

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
	if err := openapi3filter.ValidateResponse(in.Request.Context(), out); err != nil {
		s.violate("%s %s response %d: %v", in.Request.Method, in.Request.URL.Path, rec.Code, err)
	}
}

func (s *Server) violate(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.opts.Logger.Warn("request or response does not conform to the Jira OpenAPI document", "violation", msg)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, msg)
}

func (s *Server) countOperation(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.operations == nil {
		s.operations = map[string]int{}
	}
	s.operations[key]++
}
