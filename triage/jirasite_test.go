package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// jiraSite is a Jira Cloud site on loopback, shaped like Jira's documented
// requests and responses, for the calls that processing makes: edit
// metadata, issue reads and edits, comments, request participants and user
// look-ups. Each issue has the fields of fieldOptions on its edit screen.
//
// NOTE: these tests can move to emulator/jiracloud once it serves comments,
// participants, user look-ups and throttling.
type jiraSite struct {
	srv *httptest.Server

	mu sync.Mutex
	// fieldOptions maps a field on the edit screen to its allowed option
	// values; a field without options is a text field.
	fieldOptions map[string][]string
	issues       map[string]*siteIssue
	// emails maps an account ID to the email the user look-up returns.
	emails map[string]string
	// failures maps an operation, such as "PUT issue", to statuses to
	// respond with before it succeeds again.
	failures map[string][]int
	// puts counts edits, failed or not.
	puts int
}

type siteIssue struct {
	fields       map[string]json.RawMessage
	labels       []string
	comments     []siteComment
	participants []string
}

type siteComment struct {
	Text     string
	Internal bool
}

func newJiraSite(t *testing.T) *jiraSite {
	t.Helper()
	s := &jiraSite{
		fieldOptions: map[string][]string{
			"summary":           nil,
			"labels":            nil,
			"customfield_10050": {"Service desk", "EMEA Service Desk", "Paris IT"},
			"customfield_10052": nil,
		},
		issues:   map[string]*siteIssue{},
		emails:   map[string]string{},
		failures: map[string][]int{},
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/3/issue/{key}/editmeta", s.editMeta)
	mux.HandleFunc("GET /rest/api/3/issue/{key}", s.getIssue)
	mux.HandleFunc("PUT /rest/api/3/issue/{key}", s.editIssue)
	mux.HandleFunc("GET /rest/api/3/issue/{key}/comment", s.getComments)
	mux.HandleFunc("POST /rest/api/3/issue/{key}/comment", s.addComment)
	mux.HandleFunc("POST /rest/servicedeskapi/request/{key}/participant", s.addParticipants)
	mux.HandleFunc("GET /rest/api/3/user", s.getUser)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// issue returns the issue with the key, creating it.
func (s *jiraSite) issue(key string) *siteIssue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(key)
}

func (s *jiraSite) issueLocked(key string) *siteIssue {
	is, ok := s.issues[key]
	if !ok {
		is = &siteIssue{fields: map[string]json.RawMessage{}, labels: []string{}}
		s.issues[key] = is
	}
	return is
}

// failNext makes the next calls of the operation fail with the statuses.
func (s *jiraSite) failNext(operation string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[operation] = append(s.failures[operation], statuses...)
}

// failed responds with the operation's next planned failure, if any.
func (s *jiraSite) failed(w http.ResponseWriter, operation string) bool {
	statuses := s.failures[operation]
	if len(statuses) == 0 {
		return false
	}
	s.failures[operation] = statuses[1:]

	if statuses[0] == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "30")
	}
	writeSiteJSON(w, statuses[0], map[string]any{"errorMessages": []string{fmt.Sprintf("%s failed with %d", operation, statuses[0])}, "errors": map[string]string{}})
	return true
}

func (s *jiraSite) editMeta(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed(w, "GET editmeta") {
		return
	}

	fields := map[string]any{}
	for id, options := range s.fieldOptions {
		meta := map[string]any{"name": id, "key": id, "required": false, "operations": []string{"set"},
			"schema": map[string]any{"type": "string"}}
		if options != nil {
			allowed := []any{}
			for i, o := range options {
				allowed = append(allowed, map[string]any{"id": fmt.Sprint(10100 + i), "value": o, "self": s.srv.URL})
			}
			meta["allowedValues"] = allowed
			meta["schema"] = map[string]any{"type": "option"}
		}
		fields[id] = meta
	}
	writeSiteJSON(w, http.StatusOK, map[string]any{"fields": fields})
}

func (s *jiraSite) getIssue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed(w, "GET issue") {
		return
	}

	is := s.issueLocked(r.PathValue("key"))
	fields := map[string]any{"labels": is.labels}
	for id, v := range is.fields {
		fields[id] = v
	}
	writeSiteJSON(w, http.StatusOK, map[string]any{"id": "10001", "key": r.PathValue("key"), "fields": fields})
}

func (s *jiraSite) editIssue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if s.failed(w, "PUT issue") {
		return
	}

	var body struct {
		Fields map[string]json.RawMessage `json:"fields"`
		Update map[string][]map[string]string
	}
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		writeSiteJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid request payload."}})
		return
	}

	fieldErrors := map[string]string{}
	for id := range body.Fields {
		if _, ok := s.fieldOptions[id]; !ok {
			fieldErrors[id] = fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", id)
		}
	}
	if len(fieldErrors) > 0 {
		writeSiteJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": fieldErrors})
		return
	}

	is := s.issueLocked(r.PathValue("key"))
	for id, value := range body.Fields {
		is.fields[id] = withOptionMembers(value)
	}
	for _, op := range body.Update["labels"] {
		if label := op["add"]; label != "" && !slices.Contains(is.labels, label) {
			is.labels = append(is.labels, label)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// withOptionMembers adds "self" and "id" to an option, as Jira returns
// options with more members than an edit sends.
func withOptionMembers(value json.RawMessage) json.RawMessage {
	var option map[string]any
	if json.Unmarshal(value, &option) != nil || option["value"] == nil {
		return value
	}
	option["self"] = "http://127.0.0.1/rest/api/3/customFieldOption/10100"
	option["id"] = "10100"
	out, _ := json.Marshal(option)
	return out
}

func (s *jiraSite) getComments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()

	is := s.issueLocked(r.PathValue("key"))
	comments := []any{}
	for i := len(is.comments) - 1; i >= 0; i-- {
		comments = append(comments, map[string]any{"id": fmt.Sprint(i + 1), "body": adf(is.comments[i].Text)})
	}
	writeSiteJSON(w, http.StatusOK, map[string]any{"startAt": 0, "maxResults": 100, "total": len(comments), "comments": comments})
}

func (s *jiraSite) addComment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed(w, "POST comment") {
		return
	}

	var body struct {
		Body       json.RawMessage `json:"body"`
		Properties []struct {
			Key   string `json:"key"`
			Value struct {
				Internal bool `json:"internal"`
			} `json:"value"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeSiteJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Invalid request payload."}})
		return
	}
	c := siteComment{Text: adfText(body.Body)}
	for _, p := range body.Properties {
		if p.Key == "sd.public.comment" {
			c.Internal = p.Value.Internal
		}
	}

	is := s.issueLocked(r.PathValue("key"))
	is.comments = append(is.comments, c)
	writeSiteJSON(w, http.StatusCreated, map[string]any{"id": fmt.Sprint(len(is.comments)), "body": json.RawMessage(body.Body)})
}

func (s *jiraSite) addParticipants(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed(w, "POST participant") {
		return
	}

	var body struct {
		AccountIDs []string `json:"accountIds"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	is := s.issueLocked(r.PathValue("key"))
	for _, id := range body.AccountIDs {
		if !slices.Contains(is.participants, id) {
			is.participants = append(is.participants, id)
		}
	}
	writeSiteJSON(w, http.StatusOK, map[string]any{"size": len(is.participants), "start": 0, "limit": 50, "isLastPage": true, "values": []any{}})
}

func (s *jiraSite) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()

	id := r.URL.Query().Get("accountId")
	email, ok := s.emails[id]
	if !ok {
		writeSiteJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Specified user does not exist or you do not have required permissions"}})
		return
	}
	user := map[string]any{"accountId": id, "displayName": "User " + id, "active": true}
	if email != "" {
		user["emailAddress"] = email
	}
	writeSiteJSON(w, http.StatusOK, user)
}

// adf returns text as a one-paragraph Atlassian Document Format document.
func adf(text string) map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text}}},
	}}
}

// adfText returns the text nodes of a document, with hard breaks as line
// breaks.
func adfText(raw json.RawMessage) string {
	var node struct {
		Type    string            `json:"type"`
		Text    string            `json:"text"`
		Content []json.RawMessage `json:"content"`
	}
	json.Unmarshal(raw, &node)

	var b strings.Builder
	switch node.Type {
	case "text":
		b.WriteString(node.Text)
	case "hardBreak":
		b.WriteString("\n")
	}
	for _, child := range node.Content {
		b.WriteString(adfText(child))
	}
	return b.String()
}

func writeSiteJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(body)
}

// siteUpstream sends requests to the datasource's base URL with basic auth,
// without retries, so a test sees each status the site responds with.
type siteUpstream struct {
	client *http.Client
}

func (u siteUpstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	r, err := http.NewRequestWithContext(ctx, req.Method, ds.BaseURL+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.SetBasicAuth(ds.Auth.Username, ds.Auth.Password)

	resp, err := u.client.Do(r)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, err
}
