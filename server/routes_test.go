package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/server"
)

// publicRoutes are the routes that serve anonymous requests by design, each
// with the reason it is safe. Every other route must reject them.
var publicRoutes = map[string]string{
	"GET /healthz":               "liveness probe: returns a fixed status and no data",
	"GET /readyz":                "readiness probe: names the failing checks and no configuration",
	"POST /hooks/jira":           "webhook intake: requires a valid signature or automation token instead",
	"POST /hooks/jira/{hook}":    "webhook intake: requires a valid signature or automation token instead",
	"POST /api/v1/lookup/{item}": "Jira Automation lookup: requires the item's lookup token instead",
	"POST /api/v1/session":       "sign-in: checks the username and password",
	"GET /api/v1/session":        "returns the caller's own session, and 401 without one",
	"DELETE /api/v1/session":     "sign-out: ends the caller's own session only",
	"/api/":                      "returns 404 with a pointer to the API reference for unknown API paths",
	"GET /api/v1/sso":            "tells the login page that single sign-on is on and how to label its button, and returns no data",
	"GET /sso/login":             "single sign-on start: redirects to the identity provider",
	"GET /sso/callback":          "single sign-on callback: requires the state cookie and a code the provider issued",
	"GET /login":                 "the sign-in page: static HTML that holds no data",
	"GET /assets/":               "the pages' scripts and stylesheet, embedded in the binary, which contain no data",
	"GET /{$}":                   "redirects to /datasources, which requires a session",
}

// isAPIRoute reports whether a pattern belongs to the REST API or the
// metrics, which take a bearer token, rather than to an admin page, which
// redirects to the sign-in page.
func isAPIRoute(pattern string) bool {
	_, path := routeRequest(pattern)
	return strings.HasPrefix(path, "/api/") || path == "/metrics"
}

// dummyID fills every path wildcard. No object has this ID, so a request
// that passes authentication gets 404 or 400 and changes nothing.
const dummyID = "route-check-missing"

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// routeRequest returns the method and a concrete path for a ServeMux
// pattern: wildcards are filled with dummyID, "{$}" is dropped, a pattern
// without a method is requested with GET and a subtree pattern with a path
// below it.
func routeRequest(pattern string) (method, path string) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = http.MethodGet, pattern
	}

	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllString(path, dummyID)
	if strings.HasSuffix(path, "/") {
		path += dummyID
	}
	return method, path
}

// routeChecker sends requests with and without credentials to one server
// and lists how each route fails its authentication rules.
type routeChecker struct {
	baseURL       string
	adminToken    string
	readOnlyToken string
	sessionCookie *http.Cookie
	public        map[string]string

	// client does not follow redirects, so a page's redirect to /login
	// is seen.
	client *http.Client
}

// send makes one request and returns the response with its body read.
func (c *routeChecker) send(method, path, token string, cookie *http.Cookie) (*http.Response, string, error) {
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, c.baseURL+path, body)
	if err != nil {
		return nil, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, string(raw), err
}

// apiProblems checks one API route: anonymous requests get 401 with a JSON
// error, read-only tokens get 403 on methods that change state, and the
// admin token passes authentication.
func (c *routeChecker) apiProblems(pattern string) []string {
	method, path := routeRequest(pattern)
	if _, ok := c.public[pattern]; ok {
		return nil
	}
	var problems []string

	resp, body, err := c.send(method, path, "", nil)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s: anonymous %s %s failed: %v", pattern, method, path, err))
	case resp.StatusCode != http.StatusUnauthorized:
		problems = append(problems, fmt.Sprintf("%s: anonymous %s %s got status %d, want 401 (or add the route to publicRoutes with a reason)", pattern, method, path, resp.StatusCode))
	case !strings.Contains(body, `"code": "unauthorized"`):
		problems = append(problems, fmt.Sprintf("%s: anonymous %s %s got body %q, want a JSON error with code unauthorized", pattern, method, path, body))
	}

	safe := method == http.MethodGet || method == http.MethodHead
	resp, body, err = c.send(method, path, c.readOnlyToken, nil)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s: read-only %s %s failed: %v", pattern, method, path, err))
	case !safe && resp.StatusCode != http.StatusForbidden:
		problems = append(problems, fmt.Sprintf("%s: read-only token %s %s got status %d, want 403", pattern, method, path, resp.StatusCode))
	case safe && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		problems = append(problems, fmt.Sprintf("%s: read-only token %s %s got status %d, want it let through: %s", pattern, method, path, resp.StatusCode, body))
	}

	resp, body, err = c.send(method, path, c.adminToken, nil)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s: admin %s %s failed: %v", pattern, method, path, err))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		problems = append(problems, fmt.Sprintf("%s: admin token %s %s got status %d, want it let through: %s", pattern, method, path, resp.StatusCode, body))
	case strings.Contains(body, "no API route"):
		problems = append(problems, fmt.Sprintf("%s: admin token %s %s reached the catch-all, so the listed route is not served", pattern, method, path))
	}
	return problems
}

// pageProblems checks one admin page: anonymous requests are redirected to
// /login and a signed-in admin gets the page.
func (c *routeChecker) pageProblems(path string) []string {
	var problems []string

	resp, _, err := c.send(http.MethodGet, path, "", nil)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("page %s: anonymous GET failed: %v", path, err))
	case resp.StatusCode != http.StatusSeeOther:
		problems = append(problems, fmt.Sprintf("page %s: anonymous GET got status %d, want 303 to /login", path, resp.StatusCode))
	case !strings.HasPrefix(resp.Header.Get("Location"), "/login?"):
		problems = append(problems, fmt.Sprintf("page %s: anonymous GET redirected to %q, want /login", path, resp.Header.Get("Location")))
	}

	resp, _, err = c.send(http.MethodGet, path, "", c.sessionCookie)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("page %s: signed-in GET failed: %v", path, err))
	case resp.StatusCode != http.StatusOK:
		problems = append(problems, fmt.Sprintf("page %s: signed-in GET got status %d, want 200", path, resp.StatusCode))
	}
	return problems
}

// newRouteChecker starts a server with single sign-on on a temporary SQLite
// folder, so it serves every route there is, creates a read-only API token
// and signs an admin in.
func newRouteChecker(t *testing.T) (*server.Server, *routeChecker) {
	t.Helper()
	srv, _, _ := startWithSSO(t, true)
	c := &routeChecker{
		baseURL:    srv.URL(),
		adminToken: adminToken,
		public:     publicRoutes,
		client:     &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}

	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/api/v1/tokens", strings.NewReader(`{"name":"monitoring","scope":"read-only"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created httpapi.CreatedToken
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || created.Secret == "" {
		t.Fatalf("create read-only token: status %d, token %q", resp.StatusCode, created.Secret)
	}
	c.readOnlyToken = created.Secret

	rec := httptest.NewRecorder()
	if _, err := srv.Sessions().StartSession(context.Background(), rec, httptest.NewRequest(http.MethodGet, "/", nil), "route-check-admin"); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("sign-in set %d cookies, want 1", len(cookies))
	}
	c.sessionCookie = cookies[0]
	return srv, c
}

func TestEveryRouteRequiresAuth(t *testing.T) {
	srv, c := newRouteChecker(t)
	routes := srv.Routes()

	// Guard against an empty or partial listing, which would pass every
	// check below: each part of the server must contribute its routes.
	for _, want := range []string{"GET /api/v1/datasources", "DELETE /api/v1/tokens/{id}", "GET /metrics",
		"GET /sso/callback", "GET /login", "GET /datasources", "GET /settings"} {
		if !slices.Contains(routes, want) {
			t.Errorf("Routes() lacks %q: got %q", want, routes)
		}
	}
	// The API's routes and the outer mux's are registered on different
	// muxes, so a pattern listed twice would shadow one handler without a
	// panic.
	for _, pattern := range routes {
		if n := countOf(routes, pattern); n != 1 {
			t.Errorf("Routes() lists %q %d times, want once", pattern, n)
		}
	}

	for pattern, reason := range publicRoutes {
		if reason == "" {
			t.Errorf("public route %q has no reason", pattern)
		}
		if !slices.Contains(routes, pattern) {
			t.Errorf("public route %q is not registered: remove it from publicRoutes", pattern)
		}
	}

	apiWalked, pagesWalked := 0, 0
	for _, pattern := range routes {
		if _, ok := publicRoutes[pattern]; ok {
			continue
		}
		if isAPIRoute(pattern) {
			for _, p := range c.apiProblems(pattern) {
				t.Error(p)
			}
			apiWalked++
			continue
		}

		method, path := routeRequest(pattern)
		if method != http.MethodGet {
			t.Errorf("%s: a page route must be GET: list it in publicRoutes with a reason, or serve it under /api/", pattern)
			continue
		}
		for _, p := range c.pageProblems(path) {
			t.Error(p)
		}
		pagesWalked++
	}
	if want := len(routes) - len(publicRoutes); apiWalked+pagesWalked != want {
		t.Errorf("walked %d routes, want %d", apiWalked+pagesWalked, want)
	}
	t.Logf("walked %d API routes and %d pages; %d routes are public", apiWalked, pagesWalked, len(publicRoutes))
}

func countOf(list []string, value string) int {
	n := 0
	for _, v := range list {
		if v == value {
			n++
		}
	}
	return n
}

// TestRouteCheckerCatchesUnguardedRoutes shows that the checks above fail
// for a route added without authentication, or with authentication that
// lets a read-only token change state.
func TestRouteCheckerCatchesUnguardedRoutes(t *testing.T) {
	_, c := newRouteChecker(t)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/unguarded", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /api/v1/any-token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, `{"error": {"code": "unauthorized"}}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /unguarded-page", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	extra := httptest.NewServer(mux)
	t.Cleanup(extra.Close)
	c.baseURL = extra.URL

	if got := c.apiProblems("GET /api/v1/unguarded"); !containsText(got, "anonymous GET /api/v1/unguarded got status 200, want 401") {
		t.Errorf("unguarded route: problems %q, want the anonymous 200 reported", got)
	}
	if got := c.apiProblems("POST /api/v1/any-token"); !containsText(got, "read-only token POST /api/v1/any-token got status 204, want 403") {
		t.Errorf("route open to read-only tokens: problems %q, want the read-only 204 reported", got)
	}
	if got := c.pageProblems("/unguarded-page"); !containsText(got, "anonymous GET got status 200, want 303") {
		t.Errorf("unguarded page: problems %q, want the anonymous 200 reported", got)
	}
}

func containsText(lines []string, text string) bool {
	return slices.ContainsFunc(lines, func(line string) bool { return strings.Contains(line, text) })
}

func TestOversizedBodiesRejected(t *testing.T) {
	srv, _ := startOn(t, "")
	big := `{"name": "` + strings.Repeat("a", 5<<20) + `"}`

	tests := []struct {
		name        string
		path        string
		token       string
		wantStatus  int
		wantMessage string
	}{
		// The API rejects bodies over Options.MaxBodyBytes (1 MiB) as an
		// invalid request.
		{"API", "/api/v1/datasources", adminToken, http.StatusBadRequest, "request body is larger than 1048576 bytes"},
		{"webhook", "/hooks/jira", "", http.StatusRequestEntityTooLarge, "webhook body is larger than 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL()+tt.path, bytes.NewReader([]byte(big)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var got httpapi.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("decode error body: %v", err)
			}
			if got.Error.Code != "invalid" {
				t.Errorf("error code %q, want invalid", got.Error.Code)
			}
			if !strings.Contains(got.Error.Message, tt.wantMessage) {
				t.Errorf("error message %q, want it to contain %q", got.Error.Message, tt.wantMessage)
			}
		})
	}
}
