package jiracloud

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Server is an emulated Jira Cloud site. It is safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu          sync.Mutex
	baseURL     string
	fields      []*field
	optionCount int
	issues      []*issue
	hooks       []webhook
	// users are the accounts GET /rest/api/3/user finds, by account ID.
	users map[string]Account
	// faults are the error responses ThrottleNext and FailNext queued.
	faults []fault
	// requests counts the REST requests received by route pattern.
	requests map[string]int
	// commentCount and changeCount number comments and changelogs.
	commentCount int
	changeCount  int
	// violations and operations record the checks against Options.Spec.
	violations []string
	operations map[string]int

	// background tracks the webhook deliveries of REST edits, which run
	// after the response as Jira's do; stop cancels them on Close.
	background sync.WaitGroup
	stopCtx    context.Context
	stop       context.CancelFunc
}

// New returns a site seeded with one service project, "IT Help" with key
// "ITH" and the issue type "[System] Service request". Its edit screen has
// the select fields "Support group" (customfield_10050) and "Location queue"
// (customfield_10051), whose options AddOptions adds, and the text field
// "Reporter office" (customfield_10052).
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:    opts,
		mux:     http.NewServeMux(),
		baseURL: strings.TrimSuffix(opts.BaseURL, "/"),
		fields:  projectFields(opts.ReporterOfficeOffScreen),
		users:   map[string]Account{},
	}
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	for email := range opts.APIUsers {
		s.addUser(Account{Email: email})
	}

	s.mux.HandleFunc("GET /rest/api/3/issue/{issueIdOrKey}", s.authenticated(s.getIssue))
	s.mux.HandleFunc(EditPattern, s.authenticated(s.editIssue))
	s.mux.HandleFunc("GET /rest/api/3/issue/{issueIdOrKey}/editmeta", s.authenticated(s.getEditMeta))
	s.mux.HandleFunc("GET /rest/api/3/issue/{issueIdOrKey}/comment", s.authenticated(s.getComments))
	s.mux.HandleFunc("POST /rest/api/3/issue/{issueIdOrKey}/comment", s.authenticated(s.addComment))
	s.mux.HandleFunc("GET /rest/servicedeskapi/request/{issueIdOrKey}/participant", s.authenticated(s.getParticipants))
	s.mux.HandleFunc("POST /rest/servicedeskapi/request/{issueIdOrKey}/participant", s.authenticated(s.addParticipants))
	s.mux.HandleFunc("GET /rest/api/3/user", s.authenticated(s.getUser))
	s.mux.HandleFunc("GET /rest/api/3/myself", s.authenticated(s.getMyself))
	s.mux.HandleFunc("GET /rest/api/3/serverInfo", s.anonymousAllowed(s.getServerInfo))
	return s
}

// SetBaseURL sets the emulator's own address, used in "self" links, for
// example the URL of the httptest.Server or listener that serves it.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimSuffix(u, "/")
}

// AddOptions adds options to the select field with the given ID. Options it
// already has and IDs of other fields are ignored.
func (s *Server) AddOptions(fieldID string, options ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	f := s.field(fieldID)
	if f == nil || f.kind != kindSelect {
		return
	}

next:
	for _, value := range options {
		for _, o := range f.options {
			if o.value == value {
				continue next
			}
		}
		f.options = append(f.options, option{id: optionID(s.optionCount), value: value})
		s.optionCount++
	}
}

// ServeHTTP serves the REST API, checking each request against
// Options.Spec when it is set.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Spec != nil {
		s.serveChecked(w, r)
		return
	}
	s.serve(w, r)
}

// serve sends the next queued fault that applies to the request, or serves
// it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if f, ok := s.nextFault(pattern); ok {
		if f.afterServe {
			s.mux.ServeHTTP(httptest.NewRecorder(), r)
		}
		s.writeFault(w, f)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close stops the webhook deliveries that REST edits started and waits for
// them to return.
func (s *Server) Close() {
	s.stop()
	s.background.Wait()
}

// field returns the field with the ID that is on the edit screen, or nil.
// The caller holds mu.
func (s *Server) field(id string) *field {
	for _, f := range s.fields {
		if f.id == id && !f.offScreen {
			return f
		}
	}
	return nil
}

// base returns the address for "self" links in a response to r, or in a
// webhook when r is nil.
func (s *Server) base(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	switch {
	case s.baseURL != "":
		return s.baseURL
	case r != nil:
		return "http://" + r.Host
	}
	return "http://127.0.0.1"
}

// authenticatedHandler serves a request made by the API user with the email.
type authenticatedHandler func(w http.ResponseWriter, r *http.Request, email string)

// authenticated requires basic auth with an API user's email and token, and
// responds 401 as Jira Cloud does otherwise.
func (s *Server) authenticated(next authenticatedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		email, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if email == "" {
			s.opts.Logger.Debug("request rejected: no credentials", "method", r.Method, "path", r.URL.Path)
			writeUnauthorized(w, msgUnauthenticated)
			return
		}
		s.delay(r)
		next(w, r, email)
	}
}

// anonymousAllowed serves requests without credentials too, as Jira Cloud
// does for operations whose spec lists an empty security requirement, but
// still rejects wrong credentials.
func (s *Server) anonymousAllowed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.authenticate(w, r); !ok {
			return
		}
		s.delay(r)
		next(w, r)
	}
}

// Jira Cloud's 401 bodies. Jira sends them as text, not JSON.
const (
	msgUnauthenticated = "Client must be authenticated to access this resource."
	msgBadCredentials  = "Basic authentication with passwords is deprecated."
)

// authenticate returns the API user's email, or "" for a request without
// credentials. It responds 401 and returns false for wrong credentials.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.Header.Get("Authorization") == "" {
		return "", true
	}

	email, token, ok := r.BasicAuth()
	want, known := s.opts.APIUsers[email]
	if !ok || !known || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		s.opts.Logger.Debug("request rejected: wrong credentials", "method", r.Method, "path", r.URL.Path, "email", email)
		writeUnauthorized(w, msgBadCredentials)
		return "", false
	}
	return email, true
}

// delay waits for the configured latency or until the client gives up.
func (s *Server) delay(r *http.Request) {
	if s.opts.Latency <= 0 {
		return
	}
	t := time.NewTimer(s.opts.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func writeUnauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(message))
}

// errorCollection is Jira's error body.
type errorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeErrors(w http.ResponseWriter, status int, messages []string, fieldErrors map[string]string) {
	if messages == nil {
		messages = []string{}
	}
	if fieldErrors == nil {
		fieldErrors = map[string]string{}
	}
	writeJSON(w, status, errorCollection{ErrorMessages: messages, Errors: fieldErrors})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(body)
}
