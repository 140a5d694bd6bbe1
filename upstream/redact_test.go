package upstream_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestDoRedactsEchoedCredentials(t *testing.T) {
	const (
		apiKey   = "api-key+value/41c7"
		password = "jira-api-token-8e2d"
	)
	basic := base64.StdEncoding.EncodeToString([]byte("bot@example.com:" + password))
	var issued atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-token-%d-0f3a9c","token_type":"Bearer","expires_in":3599}`, issued.Add(1))
	}))
	t.Cleanup(tokens.Close)
	echo := newAPIServer(t, func(r *http.Request) (int, string) {
		return http.StatusUnauthorized, fmt.Sprintf(`{"error":{"code":"InvalidAuthenticationToken","message":"%s %s rejected for %s"},"nextPageToken":"page-2"}`,
			r.Header.Get("Authorization"), r.Header.Get("X-API-Key"), r.URL.RequestURI())
	})

	tests := []struct {
		name  string
		auth  fieldlink.Auth
		leaks []string
	}{
		{"API key in a header", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-API-Key", APIKeyIn: "header", APIKeyValue: apiKey}, []string{apiKey}},
		{"API key in the query", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "key", APIKeyIn: "query", APIKeyValue: apiKey}, []string{apiKey, "api-key%2Bvalue%2F41c7"}},
		{"basic", fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "bot@example.com", Password: password}, []string{password, basic}},
		{"fetched token", fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials, TokenURL: tokens.URL, ClientID: "c",
			ClientSecret: clientSecret, ClientAuthentication: fieldlink.ClientAuthBody}, []string{"access-token-1-0f3a9c", "access-token-2-0f3a9c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := fieldlink.Datasource{ID: "ds-" + strings.ReplaceAll(tt.name, " ", "-"), BaseURL: echo.URL, AllowLoopback: true, Auth: tt.auth}

			resp, err := newClient().Do(context.Background(), ds, fieldlink.UpstreamRequest{Method: "GET", Path: "/users"})

			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			body := string(resp.Body)
			for _, leak := range tt.leaks {
				if strings.Contains(body, leak) {
					t.Errorf("response body %s contains the credential %q", body, leak)
				}
			}
			if !strings.Contains(body, "[REDACTED]") || !strings.Contains(body, `"nextPageToken":"page-2"`) {
				t.Errorf("response body %s, want the credential redacted and the rest kept", body)
			}
		})
	}
}
