package credential

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestAuthorizeStaticModes(t *testing.T) {
	tests := []struct {
		name      string
		auth      fieldlink.Auth
		target    string
		wantURL   string
		wantHeads http.Header
	}{
		{
			name:      "none",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthNone},
			target:    "https://api.example/v1/users?$top=1",
			wantURL:   "https://api.example/v1/users?$top=1",
			wantHeads: http.Header{},
		},
		{
			name:      "empty mode",
			auth:      fieldlink.Auth{},
			target:    "https://api.example/v1/users",
			wantURL:   "https://api.example/v1/users",
			wantHeads: http.Header{},
		},
		{
			name:    "basic",
			auth:    fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc-desk", Password: "p@ss:w/rd"},
			target:  "https://api.example/v1/users",
			wantURL: "https://api.example/v1/users",
			wantHeads: http.Header{
				"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("svc-desk:p@ss:w/rd"))},
			},
		},
		{
			name:      "bearer",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "tok-123"},
			target:    "https://api.example/v1/users",
			wantURL:   "https://api.example/v1/users",
			wantHeads: http.Header{"Authorization": {"Bearer tok-123"}},
		},
		{
			name:      "api key header",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-API-Key", APIKeyValue: "k-1", APIKeyIn: fieldlink.APIKeyInHeader},
			target:    "https://api.example/v1/users",
			wantURL:   "https://api.example/v1/users",
			wantHeads: http.Header{"X-Api-Key": {"k-1"}},
		},
		{
			name:      "api key query keeps escaping",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "api_key", APIKeyValue: "a+b&c", APIKeyIn: fieldlink.APIKeyInQuery},
			target:    "https://api.example/v1/users?$filter=mail%20eq%20'a%40b.example'&$top=1",
			wantURL:   "https://api.example/v1/users?$filter=mail%20eq%20'a%40b.example'&$top=1&api_key=a%2Bb%26c",
			wantHeads: http.Header{},
		},
		{
			name:      "api key query alone",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyValue: "k-1", APIKeyIn: fieldlink.APIKeyInQuery},
			target:    "https://api.example/v1/users",
			wantURL:   "https://api.example/v1/users?key=k-1",
			wantHeads: http.Header{},
		},
		{
			name:      "api key query replaces existing",
			auth:      fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyValue: "k-1", APIKeyIn: fieldlink.APIKeyInQuery},
			target:    "https://api.example/v1/users?key=old&page=2",
			wantURL:   "https://api.example/v1/users?page=2&key=k-1",
			wantHeads: http.Header{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := NewCache(defaultClients(), nil)
			authorizer, err := cache.Authorizer(fieldlink.Datasource{ID: "ds-1", Auth: tt.auth})
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}
			req, err := http.NewRequest(http.MethodGet, tt.target, nil)
			if err != nil {
				t.Fatalf("new request: %v", err)
			}

			if err := authorizer.Authorize(t.Context(), req); err != nil {
				t.Fatalf("Authorize: %v", err)
			}

			if got := req.URL.String(); got != tt.wantURL {
				t.Errorf("URL = %s, want %s", got, tt.wantURL)
			}
			if diff := cmp.Diff(tt.wantHeads, req.Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeNamesNoSecret(t *testing.T) {
	tests := []struct {
		auth fieldlink.Auth
		want string
	}{
		{fieldlink.Auth{Mode: fieldlink.AuthNone}, "Requests carry no credentials."},
		{fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: "secret-1"}, `Requests carry HTTP Basic credentials for user "svc".`},
		{fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "secret-1"}, "Requests carry the saved bearer token in the Authorization header."},
		{fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-Key", APIKeyValue: "secret-1", APIKeyIn: "header"}, `Requests carry the API key in the header "X-Key".`},
		{fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyValue: "secret-1", APIKeyIn: "query"}, `Requests carry the API key in the query parameter "key".`},
		{fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials, TokenURL: "https://login.example/t/token", ClientSecret: "secret-1"}, "Requests carry an access token from https://login.example/t/token in the Authorization header."},
	}
	for _, tt := range tests {
		if got := Describe(tt.auth); got != tt.want {
			t.Errorf("Describe(%s) = %q, want %q", tt.auth.Mode, got, tt.want)
		}
	}
}
