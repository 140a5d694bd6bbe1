package credential

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

func TestCacheReusesAuthorizer(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(loopbackClients(), nil)
	ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)

	first, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	authorizationHeader(t, first)
	// A copy with equal settings, as a store returns on each read.
	again := ds
	again.Auth.Scopes = append([]string(nil), ds.Auth.Scopes...)
	again.Name = "Graph renamed"
	second, err := cache.Authorizer(again)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	if got := authorizationHeader(t, second); got != "Bearer token-1" {
		t.Errorf("Authorization = %q, want the cached Bearer token-1", got)
	}
	if got := te.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestCacheRebuildsOnChange(t *testing.T) {
	tests := []struct {
		name   string
		change func(ds *fieldlink.Datasource)
	}{
		{"secret", func(ds *fieldlink.Datasource) { ds.Auth.ClientSecret = "new-secret" }},
		{"client id", func(ds *fieldlink.Datasource) { ds.Auth.ClientID = "client-2" }},
		{"scopes", func(ds *fieldlink.Datasource) { ds.Auth.Scopes = []string{"api://other/.default"} }},
		{"client authentication", func(ds *fieldlink.Datasource) { ds.Auth.ClientAuthentication = fieldlink.ClientAuthBody }},
		{"timeout", func(ds *fieldlink.Datasource) { ds.TimeoutSeconds = 5 }},
		{"connect timeout", func(ds *fieldlink.Datasource) { ds.ConnectTimeoutSeconds = 5 }},
		{"token params", func(ds *fieldlink.Datasource) { ds.Auth.TokenParams = map[string]string{"audience": "api://x"} }},
		{"allow private networks", func(ds *fieldlink.Datasource) { ds.AllowPrivateNetworks = true }},
		{"saved again", func(ds *fieldlink.Datasource) { ds.UpdatedAt = ds.UpdatedAt.Add(time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokenEndpoint(t, 3600)
			cache := NewCache(loopbackClients(), nil)
			ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)
			first, err := cache.Authorizer(ds)
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}
			authorizationHeader(t, first)

			tt.change(&ds)
			second, err := cache.Authorizer(ds)
			if err != nil {
				t.Fatalf("Authorizer after change: %v", err)
			}

			if got := authorizationHeader(t, second); got != "Bearer token-2" {
				t.Errorf("Authorization = %q, want a new Bearer token-2", got)
			}
		})
	}
}

func TestCacheForget(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(loopbackClients(), nil)
	ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)
	first, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	authorizationHeader(t, first)

	cache.Forget(ds.ID)
	second, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer after Forget: %v", err)
	}

	if got := authorizationHeader(t, second); got != "Bearer token-2" {
		t.Errorf("Authorization = %q, want a new Bearer token-2", got)
	}
}

func TestCacheSkipsUnsavedDatasource(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(loopbackClients(), nil)
	ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)
	ds.ID = ""

	for i := range 2 {
		a, err := cache.Authorizer(ds)
		if err != nil {
			t.Fatalf("Authorizer: %v", err)
		}
		authorizationHeader(t, a)
		if got := te.requests.Load(); got != int32(i+1) {
			t.Errorf("after call %d: token requests = %d, want %d", i+1, got, i+1)
		}
	}
}

func TestCacheUsesDatasourceClient(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	// Loopback is blocked for the server, so only the datasource's own
	// allowance lets the token request through.
	cache := NewCache(defaultClients(), nil)
	ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)

	blocked, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	blockedErr := authorizeError(t, blocked)
	ds.AllowLoopback = true
	allowed, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer with allowance: %v", err)
	}

	var addressErr *outbound.AddressError
	if !errors.As(blockedErr, &addressErr) {
		t.Errorf("Authorize without allowance = %v, want *outbound.AddressError", blockedErr)
	}
	if got := authorizationHeader(t, allowed); got != "Bearer token-1" {
		t.Errorf("Authorization with allowance = %q, want Bearer token-1", got)
	}
}

func TestCacheRejectsInvalidCABundle(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	ds := oauthDatasource(te.URL, fieldlink.ClientAuthHeader)
	ds.CABundle = "not a certificate"

	_, err := NewCache(loopbackClients(), nil).Authorizer(ds)

	if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
		t.Errorf("error code = %q (%v), want %q", code, err, fieldlink.EInvalid)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "caBundle contains no certificate") {
		t.Errorf("error = %v, want the CA bundle message", err)
	}
}
