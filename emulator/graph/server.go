package graph

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// readRoles are the application permissions that allow reading users.
// NOTE: Graph limits User.ReadBasic.All to a few basic properties, but the
// emulator returns every selected property for it.
var readRoles = []string{
	"User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All",
	"Directory.Read.All", "Directory.ReadWrite.All",
}

// Options configures a Server.
type Options struct {
	// Users is the directory to serve, in the order lists return it.
	Users []User

	// VerifyToken checks a bearer token and returns its roles claim. An
	// error that wraps jwt.ErrTokenExpired or jwt.ErrTokenInvalidAudience
	// gets Graph's message for that case, and any other error gets Graph's
	// generic validation failure. Nil accepts any non-empty token and grants
	// every permission.
	VerifyToken func(raw string) (roles []string, err error)

	// Latency is added before every response, so benchmarks can model a
	// remote API (20ms is typical for Graph, an estimate). The wait ends early when the request is
	// canceled. Defaults to none.
	Latency time.Duration

	// Now returns the current time for the date in error responses. Defaults
	// to time.Now.
	Now func() time.Time

	// Logger receives a record for each request served or rejected. It never
	// receives a token.
	// Defaults to a logger that discards records.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Users = slices.Clone(o.Users)
	return o
}

// Server is an emulated Microsoft Graph v1.0 users API. It implements
// http.Handler.
type Server struct {
	opts     Options
	requests atomic.Int64

	// endlessPaging is set by SetEndlessPaging.
	endlessPaging atomic.Bool

	// mu guards faults, the error responses queued by FailNext.
	mu     sync.Mutex
	faults []Fault
}

// New returns a Server for opts.
func New(opts Options) *Server {
	return &Server{opts: opts.withDefaults()}
}

// Requests returns the number of requests the server received, rejected ones
// included. Tests use it to count upstream calls.
func (s *Server) Requests() int {
	return int(s.requests.Load())
}

// requestIDs are the IDs Graph returns in the request-id and
// client-request-id headers and in error bodies.
type requestIDs struct {
	request string
	client  string
}

// ServeHTTP authenticates the request and routes it to the users API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)

	ids := requestIDs{request: newGUID(), client: r.Header.Get("client-request-id")}
	if ids.client == "" {
		ids.client = ids.request
	}
	w.Header().Set("request-id", ids.request)
	w.Header().Set("client-request-id", ids.client)

	if !s.wait(r.Context()) {
		return
	}

	if f, ok := s.nextFault(); ok {
		s.serveFault(w, r, ids, f)
		return
	}
	s.serve(w, r, ids)
}

// serve authorizes r and routes it to the users API.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, ids requestIDs) {
	if e := s.authorize(r, ids); e != nil {
		s.writeError(w, ids, *e)
		return
	}

	segments, e := pathSegments(r)
	if e != nil {
		s.writeError(w, ids, *e)
		return
	}
	if r.Method != http.MethodGet {
		s.writeError(w, ids, errMethodNotAllowed(r.Method, r.URL.Path))
		return
	}

	if len(segments) == 2 {
		s.listUsers(w, r, ids)
		return
	}
	s.getUser(w, r, ids, segments[2])
}

// wait sleeps for Options.Latency and reports whether the request is still
// wanted.
func (s *Server) wait(ctx context.Context) bool {
	if s.opts.Latency <= 0 {
		return true
	}

	timer := time.NewTimer(s.opts.Latency)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authorize checks the bearer token and its roles.
func (s *Server) authorize(r *http.Request, ids requestIDs) *graphError {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		e := errTokenEmpty()
		return &e
	}
	if s.opts.VerifyToken == nil {
		return nil
	}

	roles, err := s.opts.VerifyToken(token)
	if err != nil {
		s.opts.Logger.Info("graph: access token rejected", "error", err, "request_id", ids.request)
		e := errTokenInvalid()
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			e = errTokenExpired()
		case errors.Is(err, jwt.ErrTokenInvalidAudience):
			e = errTokenAudience()
		}
		return &e
	}

	for _, role := range roles {
		if slices.Contains(readRoles, role) {
			return nil
		}
	}
	e := errInsufficientPrivileges()
	return &e
}

// pathSegments splits the request path into unescaped segments and checks
// that it is /v1.0/users or /v1.0/users/{key}. Each segment is unescaped on
// its own, so a key may contain an escaped '/' or '#'.
func pathSegments(r *http.Request) ([]string, *graphError) {
	var segments []string
	for _, raw := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		segment, err := url.PathUnescape(raw)
		if err != nil {
			segment = raw
		}
		segments = append(segments, segment)
	}

	var e graphError
	switch {
	case segments[0] != "v1.0":
		e = errInvalidVersion(segments[0])
	case len(segments) < 2:
		e = errSegmentNotFound(segments[0])
	case !strings.EqualFold(segments[1], "users"):
		e = errSegmentNotFound(segments[1])
	case len(segments) > 3:
		e = errSegmentNotFound(segments[3])
	case len(segments) == 3 && segments[2] == "":
		e = errSegmentNotFound("")
	default:
		return segments, nil
	}
	return nil, &e
}

// listUsers serves GET /v1.0/users: the users matching $filter, one page of
// $top (default 100) at a time, with an @odata.nextLink while more remain,
// or on every page while endless paging is on.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, ids requestIDs) {
	q, e := parseQuery(r, "$filter", "$select", "$top", "$skiptoken")
	if e != nil {
		s.writeError(w, ids, *e)
		return
	}

	var matched []User
	for _, u := range s.opts.Users {
		if q.filter == nil || q.filter.match(u) {
			matched = append(matched, u)
		}
	}
	endless := s.endlessPaging.Load()
	if q.offset > len(matched) && !endless {
		s.writeError(w, ids, errPageToken())
		return
	}
	start := min(q.offset, len(matched))
	end := min(q.offset+q.top, len(matched))

	values := make([]object, 0, end-start)
	for _, u := range matched[start:end] {
		values = append(values, userObject(u, q.selected))
	}

	base := baseURL(r)
	body := object{{"@odata.context", contextURL(base, q.selectNames, false)}}
	switch {
	case end < len(matched):
		body = append(body, member{"@odata.nextLink", q.nextLink(base, end)})
	case endless:
		body = append(body, member{"@odata.nextLink", q.nextLink(base, q.offset+q.top)})
	}
	body = append(body, member{"value", values})
	s.writeJSON(w, http.StatusOK, body)

	s.opts.Logger.Debug("graph: users listed", "count", len(values), "matched", len(matched), "request_id", ids.request)
}

// getUser serves GET /v1.0/users/{key}, where key is the user's ID or, ignoring
// case, userPrincipalName.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, ids requestIDs, key string) {
	q, e := parseQuery(r, "$select")
	if e != nil {
		s.writeError(w, ids, *e)
		return
	}

	for _, u := range s.opts.Users {
		if strings.EqualFold(u.ID, key) || strings.EqualFold(u.UserPrincipalName, key) {
			body := object{{"@odata.context", contextURL(baseURL(r), q.selectNames, true)}}
			body = append(body, userObject(u, q.selected)...)
			s.writeJSON(w, http.StatusOK, body)

			s.opts.Logger.Debug("graph: user returned", "id", u.ID, "request_id", ids.request)
			return
		}
	}
	s.writeError(w, ids, errResourceNotFound(key))
}

// contextURL returns the @odata.context of a users response, for example
// "http://127.0.0.1:8080/v1.0/$metadata#users(officeLocation)/$entity".
func contextURL(base string, selectNames []string, entity bool) string {
	link := base + "/v1.0/$metadata#users"
	if len(selectNames) > 0 {
		link += "(" + strings.Join(selectNames, ",") + ")"
	}
	if entity {
		link += "/$entity"
	}
	return link
}

// contentType is the Content-Type Graph sends with its JSON responses.
const contentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func (s *Server) writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)

	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		s.opts.Logger.Error("graph: write response", "error", err)
	}
}

// baseURL returns the scheme and host the request was sent to.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// newGUID returns a random version 4 UUID in its canonical text form.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
