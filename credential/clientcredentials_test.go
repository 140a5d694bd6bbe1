package credential

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// awkwardSecret contains every character that form encoding changes or that
// separates the parts of Basic credentials.
const awkwardSecret = "a+b/c:d=e%f~g"

// tokenEndpoint is an httptest token endpoint that counts requests, issues
// numbered tokens and checks each request with check.
type tokenEndpoint struct {
	*httptest.Server
	requests  atomic.Int32
	expiresIn int // seconds; zero leaves expires_in out

	mu      sync.Mutex
	check   func(r *http.Request, body string) error
	lastErr error
}

func newTokenEndpoint(t *testing.T, expiresIn int) *tokenEndpoint {
	t.Helper()
	te := &tokenEndpoint{expiresIn: expiresIn}
	te.Server = httptest.NewServer(http.HandlerFunc(te.serve))
	t.Cleanup(te.Close)
	return te
}

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	n := te.requests.Add(1)
	body, _ := io.ReadAll(r.Body)

	te.mu.Lock()
	check := te.check
	te.mu.Unlock()
	if check != nil {
		if err := check(r, string(body)); err != nil {
			te.mu.Lock()
			te.lastErr = err
			te.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":%q}`, err.Error())
			return
		}
	}

	w.Header().Set("Content-Type", "application/json")
	if te.expiresIn > 0 {
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":%d}`, n, te.expiresIn)
		return
	}
	fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer"}`, n)
}

func (te *tokenEndpoint) checkError() error {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.lastErr
}

// loopbackClients returns per-datasource clients that may reach the
// httptest servers on loopback.
func loopbackClients() HTTPClientFunc {
	return outbound.New(outbound.Options{AllowLoopback: true}).For
}

func oauthDatasource(tokenURL, clientAuth string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:   "ds-graph",
		Name: "Graph",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             tokenURL,
			ClientID:             "client-1",
			ClientSecret:         awkwardSecret,
			ClientAuthentication: clientAuth,
			Scopes:               []string{"https://graph.microsoft.com/.default", "api://extra/read"},
		},
	}
}

// authorizationHeader returns the Authorization header that Authorize sets.
func authorizationHeader(t *testing.T, a Authorizer) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if err := a.Authorize(t.Context(), req); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return req.Header.Get("Authorization")
}

func TestClientCredentialsWireFormat(t *testing.T) {
	// RFC 6749 §2.3.1: Basic credentials are the form-urlencoded client ID
	// and secret, so the secret appears as a%2Bb%2Fc%3Ad%3De%25f~g.
	wantBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("client-1:a%2Bb%2Fc%3Ad%3De%25f~g"))
	wantScope := "https://graph.microsoft.com/.default api://extra/read"

	tests := []struct {
		clientAuth string
		check      func(r *http.Request, body string) error
	}{
		{
			clientAuth: fieldlink.ClientAuthHeader,
			check: func(r *http.Request, body string) error {
				if got := r.Header.Get("Authorization"); got != wantBasic {
					return fmt.Errorf("Authorization = %q, want %q", got, wantBasic)
				}
				form, err := parseForm(r, body)
				if err != nil {
					return err
				}
				if form.Has("client_id") || form.Has("client_secret") {
					return fmt.Errorf("form %q carries client credentials, want them only in the header", body)
				}
				return checkGrant(form, wantScope)
			},
		},
		{
			clientAuth: fieldlink.ClientAuthBody,
			check: func(r *http.Request, body string) error {
				if got := r.Header.Get("Authorization"); got != "" {
					return fmt.Errorf("Authorization = %q, want none", got)
				}
				if !strings.Contains(body, "client_secret=a%2Bb%2Fc%3Ad%3De%25f~g") {
					return fmt.Errorf("form %q does not carry the form-encoded secret", body)
				}
				form, err := parseForm(r, body)
				if err != nil {
					return err
				}
				if got := form.Get("client_id"); got != "client-1" {
					return fmt.Errorf("client_id = %q, want client-1", got)
				}
				if got := form.Get("client_secret"); got != awkwardSecret {
					return fmt.Errorf("client_secret decodes to %q, want %q", got, awkwardSecret)
				}
				return checkGrant(form, wantScope)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.clientAuth, func(t *testing.T) {
			te := newTokenEndpoint(t, 3600)
			te.check = tt.check
			cache := NewCache(loopbackClients(), nil)
			authorizer, err := cache.Authorizer(oauthDatasource(te.URL, tt.clientAuth))
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}

			req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)
			err = authorizer.Authorize(t.Context(), req)

			if checkErr := te.checkError(); checkErr != nil {
				t.Fatalf("token request: %v", checkErr)
			}
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if got := req.Header.Get("Authorization"); got != "Bearer token-1" {
				t.Errorf("Authorization = %q, want Bearer token-1", got)
			}
			if got := te.requests.Load(); got != 1 {
				t.Errorf("token requests = %d, want 1 (no auto-detect retry)", got)
			}
		})
	}
}

func parseForm(r *http.Request, body string) (form interface {
	Has(string) bool
	Get(string) string
}, err error) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
	}
	values, err := url.ParseQuery(body)
	if err != nil {
		return nil, fmt.Errorf("parse form %q: %w", body, err)
	}
	return values, nil
}

func checkGrant(form interface{ Get(string) string }, wantScope string) error {
	if got := form.Get("grant_type"); got != "client_credentials" {
		return fmt.Errorf("grant_type = %q, want client_credentials", got)
	}
	if got := form.Get("scope"); got != wantScope {
		return fmt.Errorf("scope = %q, want %q", got, wantScope)
	}
	return nil
}

func TestClientCredentialsCachesToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(loopbackClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	for range 3 {
		if got := authorizationHeader(t, authorizer); got != "Bearer token-1" {
			t.Errorf("Authorization = %q, want Bearer token-1", got)
		}
	}

	if got := te.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestClientCredentialsSingleFlight(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	// Hold the token response until every caller has started, so that they
	// all find no token cached.
	release := make(chan struct{})
	te.check = func(*http.Request, string) error {
		<-release
		return nil
	}
	cache := NewCache(loopbackClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthBody))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	const callers = 200
	var started, done sync.WaitGroup
	headers := make([]string, callers)
	errs := make([]error, callers)
	started.Add(callers)
	done.Add(callers)
	for i := range callers {
		go func() {
			defer done.Done()
			req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)
			started.Done()
			errs[i] = authorizer.Authorize(t.Context(), req)
			headers[i] = req.Header.Get("Authorization")
		}()
	}
	started.Wait()
	close(release)
	done.Wait()

	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: Authorize: %v", i, errs[i])
		}
		if headers[i] != "Bearer token-1" {
			t.Fatalf("caller %d: Authorization = %q, want Bearer token-1", i, headers[i])
		}
	}
	if got := te.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestClientCredentialsRefreshBeforeExpiry(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int
		advance   time.Duration
		want      string
	}{
		{name: "well before expiry", expiresIn: 3600, advance: 3500 * time.Second, want: "Bearer token-1"},
		{name: "inside refresh margin", expiresIn: 3600, advance: 3541 * time.Second, want: "Bearer token-2"},
		{name: "after expiry", expiresIn: 3600, advance: 2 * time.Hour, want: "Bearer token-2"},
		{name: "short lifetime before half", expiresIn: 60, advance: 29 * time.Second, want: "Bearer token-1"},
		{name: "short lifetime after half", expiresIn: 60, advance: 30 * time.Second, want: "Bearer token-2"},
		{name: "no expires_in before default refresh", expiresIn: 0, advance: DefaultTokenLifetime - time.Minute - time.Second, want: "Bearer token-1"},
		{name: "no expires_in at default refresh", expiresIn: 0, advance: DefaultTokenLifetime - time.Minute, want: "Bearer token-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokenEndpoint(t, tt.expiresIn)
			clock := &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			cache := NewCache(loopbackClients(), nil)
			cache.now = clock.Now
			authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}
			if got := authorizationHeader(t, authorizer); got != "Bearer token-1" {
				t.Fatalf("first Authorization = %q, want Bearer token-1", got)
			}

			clock.Advance(tt.advance)

			if got := authorizationHeader(t, authorizer); got != tt.want {
				t.Errorf("Authorization after %s = %q, want %q", tt.advance, got, tt.want)
			}
		})
	}
}

func TestClientCredentialsInvalidate(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(loopbackClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	authorizationHeader(t, authorizer)

	authorizer.Invalidate()

	if got := authorizationHeader(t, authorizer); got != "Bearer token-2" {
		t.Errorf("Authorization after Invalidate = %q, want Bearer token-2", got)
	}
}

func TestFetchTokenAlwaysRequests(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	clock := &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	cache := NewCache(loopbackClients(), nil)
	cache.now = clock.Now
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	authorizationHeader(t, authorizer)
	fetcher, ok := authorizer.(TokenFetcher)
	if !ok {
		t.Fatalf("authorizer %T is not a TokenFetcher", authorizer)
	}

	info, err := fetcher.FetchToken(t.Context())
	if err != nil {
		t.Fatalf("FetchToken: %v", err)
	}

	want := TokenInfo{Type: "Bearer", Expiry: clock.Now().Add(time.Hour), TokenURL: te.URL}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("TokenInfo (-want +got):\n%s", diff)
	}
	if got := te.requests.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
	if got := authorizationHeader(t, authorizer); got != "Bearer token-2" {
		t.Errorf("Authorization after FetchToken = %q, want Bearer token-2", got)
	}
}

func TestClientCredentialsWaitCanceled(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	te.check = func(*http.Request, string) error {
		<-release
		return nil
	}
	cache := NewCache(loopbackClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)
	err = authorizer.Authorize(ctx, req)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Authorize error = %v, want context.Canceled", err)
	}
}

// defaultClients returns per-datasource clients with the server-wide
// allowances off.
func defaultClients() HTTPClientFunc {
	return outbound.New(outbound.Options{}).For
}
