package upstream_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

const clientSecret = "a+b/c:d=e%f~g"

// newClient returns a Client that retries without waiting.
func newClient() *upstream.Client {
	out := outbound.New(outbound.Options{AllowLoopback: true})
	return upstream.New(out, credential.NewCache(out.For, nil), nil, upstream.WithClock(instantClock{}))
}

// tokenServer issues numbered bearer tokens and counts token requests.
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32
}

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":3599}`, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// recorded is what an API server saw of one request.
type recorded struct {
	Method, RequestURI, Authorization, Accept, ContentType, Custom, Body string
}

// apiServer records requests and responds with the status and body from respond.
type apiServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	respond  func(r *http.Request) (int, string)
}

func newAPIServer(t *testing.T, respond func(r *http.Request) (int, string)) *apiServer {
	t.Helper()
	as := &apiServer{respond: respond}
	as.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		as.mu.Lock()
		as.requests = append(as.requests, recorded{
			Method:        r.Method,
			RequestURI:    r.RequestURI,
			Authorization: r.Header.Get("Authorization"),
			Accept:        r.Header.Get("Accept"),
			ContentType:   r.Header.Get("Content-Type"),
			Custom:        r.Header.Get("X-Tenant"),
			Body:          string(body),
		})
		as.mu.Unlock()

		status, respBody := as.respond(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, respBody)
	}))
	t.Cleanup(as.Close)
	return as
}

func (as *apiServer) seen() []recorded {
	as.mu.Lock()
	defer as.mu.Unlock()
	return append([]recorded(nil), as.requests...)
}

func ok(*http.Request) (int, string) { return http.StatusOK, `{"value":[]}` }

func oauthDatasource(ts *tokenServer, api *apiServer) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:      "ds-graph",
		Name:    "Graph",
		BaseURL: api.URL + "/v1.0/",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             ts.URL + "/tenant-1/oauth2/v2.0/token",
			ClientID:             "client-1",
			ClientSecret:         clientSecret,
			ClientAuthentication: fieldlink.ClientAuthBody,
			Scopes:               []string{"https://graph.microsoft.com/.default"},
		},
	}
}

func TestDoBuildsRequest(t *testing.T) {
	ts := newTokenServer(t)
	api := newAPIServer(t, ok)
	ds := oauthDatasource(ts, api)
	ds.Headers = map[string]string{"X-Tenant": "from-datasource", "Accept": "application/json;odata.metadata=none"}

	tests := []struct {
		name string
		req  fieldlink.UpstreamRequest
		want recorded
	}{
		{
			name: "get with escaped path and query",
			req:  fieldlink.UpstreamRequest{Path: "/users/a%2Fb%40corp.example?$select=officeLocation&$filter=mail%20eq%20'x%26y'"},
			want: recorded{
				Method:        http.MethodGet,
				RequestURI:    "/v1.0/users/a%2Fb%40corp.example?$select=officeLocation&$filter=mail%20eq%20'x%26y'",
				Authorization: "Bearer token-1",
				Accept:        "application/json;odata.metadata=none",
				Custom:        "from-datasource",
			},
		},
		{
			name: "post with body and request header",
			req: fieldlink.UpstreamRequest{
				Method: http.MethodPost,
				Path:   "users/search",
				Header: http.Header{"X-Tenant": {"from-request"}},
				Body:   []byte(`{"q":"x"}`),
			},
			want: recorded{
				Method:        http.MethodPost,
				RequestURI:    "/v1.0/users/search",
				Authorization: "Bearer token-1",
				Accept:        "application/json;odata.metadata=none",
				ContentType:   "application/json",
				Custom:        "from-request",
				Body:          `{"q":"x"}`,
			},
		},
	}
	client := newClient()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Do(t.Context(), ds, tt.req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.Status != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.Status)
			}
			if string(resp.Body) != `{"value":[]}` {
				t.Errorf("body = %q, want the API's body", resp.Body)
			}
			seen := api.seen()
			if len(seen) != i+1 {
				t.Fatalf("API saw %d requests, want %d", len(seen), i+1)
			}
			if diff := cmp.Diff(tt.want, seen[i]); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1 for both calls", got)
	}
}

func TestDoRetriesOnceAfter401(t *testing.T) {
	tests := []struct {
		name           string
		acceptedToken  string // the API returns 401 for every other token
		wantStatus     int
		wantAPICalls   int
		wantTokenCalls int32
	}{
		{name: "new token accepted", acceptedToken: "Bearer token-2", wantStatus: 200, wantAPICalls: 2, wantTokenCalls: 2},
		{name: "new token rejected too", acceptedToken: "none", wantStatus: 401, wantAPICalls: 2, wantTokenCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			api := newAPIServer(t, func(r *http.Request) (int, string) {
				if r.Header.Get("Authorization") == tt.acceptedToken {
					return http.StatusOK, `{}`
				}
				return http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed."}}`
			})

			resp, err := newClient().Do(t.Context(), oauthDatasource(ts, api), fieldlink.UpstreamRequest{Path: "/me"})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.Status, tt.wantStatus)
			}
			if got := len(api.seen()); got != tt.wantAPICalls {
				t.Errorf("API calls = %d, want %d", got, tt.wantAPICalls)
			}
			if got := ts.requests.Load(); got != tt.wantTokenCalls {
				t.Errorf("token requests = %d, want %d", got, tt.wantTokenCalls)
			}
		})
	}
}

func TestDoNoRetryForStaticToken(t *testing.T) {
	api := newAPIServer(t, func(*http.Request) (int, string) { return http.StatusUnauthorized, `{}` })
	ds := fieldlink.Datasource{
		ID:      "ds-static",
		BaseURL: api.URL,
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "static-token"},
	}

	resp, err := newClient().Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/me"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	if resp.Status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", resp.Status)
	}
	if got := len(api.seen()); got != 1 {
		t.Errorf("API calls = %d, want 1", got)
	}
}

func TestDoAPIKeyInQuery(t *testing.T) {
	api := newAPIServer(t, ok)
	ds := fieldlink.Datasource{
		ID:      "ds-cmdb",
		BaseURL: api.URL + "/api",
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyValue: "k+1", APIKeyIn: fieldlink.APIKeyInQuery},
	}

	_, err := newClient().Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/assets?owner=a%40b.example"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	seen := api.seen()
	if len(seen) != 1 {
		t.Fatalf("API saw %d requests, want 1", len(seen))
	}
	if want := "/api/assets?owner=a%40b.example&key=k%2B1"; seen[0].RequestURI != want {
		t.Errorf("request URI = %q, want %q", seen[0].RequestURI, want)
	}
}

func TestDoErrorHidesQueryKey(t *testing.T) {
	// Take a free port and close it, so the request fails to connect.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := listener.Addr().String()
	listener.Close()
	ds := fieldlink.Datasource{
		ID:      "ds-cmdb",
		BaseURL: "http://" + addr + "/api",
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyValue: "query-key-123", APIKeyIn: fieldlink.APIKeyInQuery},
	}

	_, err = newClient().Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/assets"})

	if err == nil {
		t.Fatal("Do succeeded, want a connection error")
	}
	if strings.Contains(err.Error(), "query-key-123") {
		t.Errorf("error %q contains the API key", err)
	}
	if !strings.Contains(err.Error(), "GET http://"+addr+"/api/assets") {
		t.Errorf("error %q does not name the request", err)
	}
	if hint := credential.Hint(err); !strings.Contains(hint, "Nothing accepts connections") {
		t.Errorf("Hint = %q, want the connection refused advice", hint)
	}
}

func TestDoRejectsBlockedHost(t *testing.T) {
	api := newAPIServer(t, ok)
	out := outbound.New(outbound.Options{})
	client := upstream.New(out, credential.NewCache(out.For, nil), nil)
	ds := fieldlink.Datasource{ID: "ds-1", BaseURL: api.URL}

	_, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/me"})

	var blocked *outbound.AddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("Do error = %v, want *outbound.AddressError", err)
	}
	if got := len(api.seen()); got != 0 {
		t.Errorf("API calls = %d, want 0", got)
	}
}

func TestDoInvalidAuth(t *testing.T) {
	ds := fieldlink.Datasource{ID: "ds-1", BaseURL: "https://api.example", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer}}

	_, err := newClient().Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/me"})

	if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
		t.Errorf("error code = %q (%v), want %q", code, err, fieldlink.EInvalid)
	}
}
