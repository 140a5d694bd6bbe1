package credential

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

func TestIsConfigError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"invalid client", &TokenError{Status: 401, Code: "invalid_client"}, true},
		{"unauthorized client", &TokenError{Status: 400, Code: "unauthorized_client"}, true},
		{"invalid scope", &TokenError{Status: 400, Code: "invalid_scope"}, true},
		{"invalid resource", &TokenError{Status: 400, Code: "invalid_resource"}, true},
		{"wrapped", fmt.Errorf("item users: %w", &TokenError{Status: 401, Code: "invalid_client"}), true},
		{"entra tenant not found", &TokenError{Status: 400, Code: "invalid_request", ErrorCodes: []int{90002}}, true},
		{"entra resource parameter", &TokenError{Status: 400, Code: "invalid_request", ErrorCodes: []int{901002}}, true},
		{"entra common tenant", &TokenError{Status: 400, Code: "invalid_request", ErrorCodes: []int{9001023}}, true},
		{"entra parameter missing", &TokenError{Status: 400, Code: "invalid_request", ErrorCodes: []int{900144}}, true},
		{"entra assertion signature", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{700027}}, true},
		{"entra assertion time", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{700024}}, true},
		{"entra code in description only", &TokenError{Status: 400, Code: "invalid_request", Description: "AADSTS90002: Tenant 'x' not found."}, true},
		{"plain invalid request", &TokenError{Status: 400, Code: "invalid_request"}, false},
		{"server error", &TokenError{Status: 503, Code: "temporarily_unavailable"}, false},
		{"server error with client code", &TokenError{Status: 500, Code: "invalid_client"}, false},
		{"throttled", &TokenError{Status: 429}, false},
		{"network", fmt.Errorf("fetch token from x: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), false},
		{"invalid expires_in", &ExpiresInError{Value: "-1"}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := IsConfigError(tt.err); got != tt.want {
			t.Errorf("IsConfigError(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// countingEndpoint responds to every token request with respond and counts
// the requests.
type countingEndpoint struct {
	*httptest.Server
	requests atomic.Int32
}

func newCountingEndpoint(t *testing.T, respond func(w http.ResponseWriter, n int32)) *countingEndpoint {
	t.Helper()
	ce := &countingEndpoint{}
	ce.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w, ce.requests.Add(1))
	}))
	t.Cleanup(ce.Close)
	return ce
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func authorizeError(t *testing.T, a Authorizer) error {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/users", nil)
	return a.Authorize(t.Context(), req)
}

func TestConfigErrorRemembered(t *testing.T) {
	te := newCountingEndpoint(t, func(w http.ResponseWriter, _ int32) {
		writeJSON(w, http.StatusUnauthorized, entraInvalidSecretBody)
	})
	cache := NewCache(loopbackClients(), nil)
	ds := oauthDatasource(te.URL+"/tenant-1/oauth2/v2.0/token", fieldlink.ClientAuthBody)
	ds.UpdatedAt = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	authorizer, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	first := authorizeError(t, authorizer)
	second := authorizeError(t, authorizer)
	again, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer again: %v", err)
	}
	third := authorizeError(t, again)

	if !IsConfigError(first) {
		t.Fatalf("first error = %v, want a configuration error", first)
	}
	if second != first || third != first {
		t.Errorf("later errors = %v, %v, want the remembered %v", second, third, first)
	}
	if got := te.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestConfigErrorForgotten(t *testing.T) {
	tests := []struct {
		name   string
		change func(cache *Cache, ds *fieldlink.Datasource)
	}{
		{"datasource saved", func(_ *Cache, ds *fieldlink.Datasource) { ds.UpdatedAt = ds.UpdatedAt.Add(time.Minute) }},
		{"secret changed", func(_ *Cache, ds *fieldlink.Datasource) { ds.Auth.ClientSecret = "new-secret" }},
		{"forgotten", func(cache *Cache, ds *fieldlink.Datasource) { cache.Forget(ds.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newCountingEndpoint(t, func(w http.ResponseWriter, _ int32) {
				writeJSON(w, http.StatusUnauthorized, entraInvalidSecretBody)
			})
			cache := NewCache(loopbackClients(), nil)
			ds := oauthDatasource(te.URL+"/tenant-1/oauth2/v2.0/token", fieldlink.ClientAuthBody)
			ds.UpdatedAt = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
			authorizer, err := cache.Authorizer(ds)
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}
			authorizeError(t, authorizer)

			tt.change(cache, &ds)
			changed, err := cache.Authorizer(ds)
			if err != nil {
				t.Fatalf("Authorizer after change: %v", err)
			}
			err = authorizeError(t, changed)

			if !IsConfigError(err) {
				t.Errorf("error = %v, want the endpoint's configuration error", err)
			}
			if got := te.requests.Load(); got != 2 {
				t.Errorf("token requests = %d, want 2", got)
			}
		})
	}
}

func TestTransientErrorNotRemembered(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter)
	}{
		{"server error", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred."}`)
		}},
		{"throttled", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusTooManyRequests, `{"error":"invalid_client"}`)
		}},
		{"connection dropped", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newCountingEndpoint(t, func(w http.ResponseWriter, _ int32) { tt.respond(w) })
			authorizer, err := NewCache(loopbackClients(), nil).Authorizer(oauthDatasource(te.URL+"/token", fieldlink.ClientAuthBody))
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}

			first := authorizeError(t, authorizer)
			second := authorizeError(t, authorizer)

			if first == nil || second == nil {
				t.Fatalf("errors = %v, %v, want two failures", first, second)
			}
			if IsConfigError(first) {
				t.Errorf("IsConfigError(%v) = true, want false", first)
			}
			if got := te.requests.Load(); got != 2 {
				t.Errorf("token requests = %d, want 2", got)
			}
		})
	}
}

func TestFetchTokenClearsConfigError(t *testing.T) {
	te := newCountingEndpoint(t, func(w http.ResponseWriter, n int32) {
		if n == 1 {
			writeJSON(w, http.StatusBadRequest, `{"error":"invalid_scope","error_description":"scope not granted yet"}`)
			return
		}
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":"token-%d","token_type":"Bearer","expires_in":3600}`, n))
	})
	authorizer, err := NewCache(loopbackClients(), nil).Authorizer(oauthDatasource(te.URL+"/token", fieldlink.ClientAuthBody))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	if err := authorizeError(t, authorizer); !IsConfigError(err) {
		t.Fatalf("first Authorize = %v, want a configuration error", err)
	}

	if _, err := authorizer.(TokenFetcher).FetchToken(t.Context()); err != nil {
		t.Fatalf("FetchToken: %v", err)
	}

	if got := authorizationHeader(t, authorizer); got != "Bearer token-2" {
		t.Errorf("Authorization = %q, want the fetched Bearer token-2", got)
	}
	if got := te.requests.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}
