package upstream_test

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

// jwtTokenServer issues JWT access tokens with claims, as Entra ID does,
// and counts the requests.
func jwtTokenServer(t *testing.T, claims jwt.MapClaims, expiresIn string) *tokenServer {
	t.Helper()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test-signing-key-of-32-bytes-len"))
	if err != nil {
		t.Fatalf("sign access token: %v", err)
	}
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer"%s}`, token, expiresIn)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func acceptAnyBearer(r *http.Request) (int, string) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return http.StatusUnauthorized, `{}`
	}
	return http.StatusOK, `{"value":[{"id":"1"}]}`
}

func TestTestTokenDetailsAndRolesWarning(t *testing.T) {
	graphClaims := jwt.MapClaims{
		"aud":   "https://graph.microsoft.com",
		"appid": "11111111-2222-3333-4444-555555555555",
		"tid":   "99999999-8888-7777-6666-555555555555",
	}
	withRoles := jwt.MapClaims{"aud": "00000003-0000-0000-c000-000000000000", "roles": []string{"User.Read.All"}}
	tests := []struct {
		name        string
		claims      jwt.MapClaims
		wantWarning bool
		wantToken   fieldlink.TokenDetails
	}{
		{
			name:        "graph without roles",
			claims:      graphClaims,
			wantWarning: true,
			wantToken: fieldlink.TokenDetails{
				Type:     "Bearer",
				Audience: []string{"https://graph.microsoft.com"},
				AppID:    "11111111-2222-3333-4444-555555555555",
				TenantID: "99999999-8888-7777-6666-555555555555",
			},
		},
		{
			name:      "graph with roles",
			claims:    withRoles,
			wantToken: fieldlink.TokenDetails{Type: "Bearer", Audience: []string{"00000003-0000-0000-c000-000000000000"}, Roles: []string{"User.Read.All"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := jwtTokenServer(t, tt.claims, `,"expires_in":3599`)
			api := newAPIServer(t, acceptAnyBearer)
			ds := oauthDatasource(ts, api)
			ds.TestPath = "/users?$top=1&$select=id"

			result := newClient().Test(t.Context(), ds)

			if !result.OK || result.Status != fieldlink.StatusValidAccessToken {
				t.Fatalf("Test = %+v, want %s", result, fieldlink.StatusValidAccessToken)
			}
			if diff := cmp.Diff(tt.wantToken, *result.Token, cmpopts.IgnoreFields(fieldlink.TokenDetails{}, "ExpiresAt")); diff != "" {
				t.Errorf("Token (-want +got):\n%s", diff)
			}
			hasWarning := len(result.Warnings) == 1 && strings.Contains(result.Warnings[0], "has no roles claim") && strings.Contains(result.Warnings[0], "User.Read.All") && strings.Contains(result.Warnings[0], "Grant admin consent")
			if hasWarning != tt.wantWarning {
				t.Errorf("Warnings = %q, want the roles warning %v", result.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestTestTokenWithoutExpiresIn(t *testing.T) {
	ts := jwtTokenServer(t, jwt.MapClaims{"aud": "api://tickets"}, "")
	api := newAPIServer(t, acceptAnyBearer)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/tickets"

	result := newClient().Test(t.Context(), ds)

	if !result.OK {
		t.Fatalf("Test = %+v, want OK", result)
	}
	want := fmt.Sprintf("Received a Bearer token from %s/tenant-1/oauth2/v2.0/token, without expires_in, so it is used until %s (5m0s).", ts.URL, result.Token.ExpiresAt.UTC().Format(time.RFC3339))
	if got := result.Steps[1].Message; got != want {
		t.Errorf("token message = %q, want %q", got, want)
	}
}

func TestTestAddressBlocked(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	out := outbound.New(outbound.Options{})
	client := upstream.New(out, credential.NewCache(out.For, nil), nil)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"

	blocked := client.Test(t.Context(), ds)
	ds.AllowLoopback = true
	allowed := client.Test(t.Context(), ds)

	if blocked.OK || blocked.Status != upstream.StatusAddressFailed || len(blocked.Steps) != 1 {
		t.Fatalf("Test = %+v, want only a failed address step", blocked)
	}
	step := blocked.Steps[0]
	if want := "API and token host 127.0.0.1 resolves to 127.0.0.1, and 127.0.0.1 is a blocked address (loopback)."; step.Name != upstream.StepAddress || step.Message != want {
		t.Errorf("step = %+v, want address message %q", step, want)
	}
	if !strings.Contains(step.Hint, "allowLoopback") || !strings.Contains(step.Hint, "--allow-loopback") {
		t.Errorf("hint = %q, want both allowance settings named", step.Hint)
	}
	if !allowed.OK {
		t.Errorf("Test with allowLoopback = %+v, want OK", allowed)
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1, from the allowed test only", got)
	}
}

func TestTestAddressListsHosts(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.Auth.TokenURL = strings.Replace(ds.Auth.TokenURL, "127.0.0.1", "localhost", 1)
	ds.TestPath = "/users?$top=1"

	result := newClient().Test(t.Context(), ds)

	if !result.OK {
		t.Fatalf("Test = %+v, want OK", result)
	}
	if got := result.Steps[0].Message; !strings.HasPrefix(got, "API host 127.0.0.1 → 127.0.0.1; Token host localhost → ") {
		t.Errorf("address message = %q, want both hosts and their addresses", got)
	}
}

func TestTestInvalidConnectionSettings(t *testing.T) {
	api := newAPIServer(t, ok)
	tests := []struct {
		name       string
		change     func(ds *fieldlink.Datasource)
		wantPrefix string
	}{
		{"base url scheme", func(ds *fieldlink.Datasource) { ds.BaseURL = "ftp://files.example" }, `base URL "ftp://files.example" is not an http(s) URL`},
		{"ca bundle", func(ds *fieldlink.Datasource) { ds.CABundle = "not a certificate" }, "caBundle contains no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := fieldlink.Datasource{ID: "ds-cmdb", BaseURL: api.URL, TestPath: "/me", Auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: "pw"}}
			tt.change(&ds)

			result := newClient().Test(t.Context(), ds)

			if result.Status != upstream.StatusInvalidSettings || len(result.Steps) != 1 || result.Steps[0].Name != upstream.StepAddress {
				t.Fatalf("Test = %+v, want %s in the address step", result, upstream.StatusInvalidSettings)
			}
			if !strings.HasPrefix(result.Steps[0].Message, tt.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", result.Steps[0].Message, tt.wantPrefix)
			}
			if got := len(api.seen()); got != 0 {
				t.Errorf("API calls = %d, want 0", got)
			}
		})
	}
}

func TestTestCABundle(t *testing.T) {
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"1"}`)
	}))
	// The server logs each rejected handshake, which the test expects.
	api.Config.ErrorLog = log.New(io.Discard, "", 0)
	api.StartTLS()
	t.Cleanup(api.Close)
	caBundle := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}))
	tests := []struct {
		name       string
		caBundle   string
		wantStatus string
		wantHint   string
	}{
		{name: "server certificate trusted", caBundle: caBundle, wantStatus: fieldlink.StatusValidCredentials},
		{name: "system roots", wantStatus: upstream.StatusAPIRequestFailed, wantHint: "caBundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := fieldlink.Datasource{
				ID:       "ds-cmdb",
				BaseURL:  api.URL,
				TestPath: "/me",
				CABundle: tt.caBundle,
				Auth:     fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-API-Key", APIKeyValue: "k-1", APIKeyIn: fieldlink.APIKeyInHeader},
			}

			result := newClient().Test(t.Context(), ds)

			if result.Status != tt.wantStatus {
				t.Fatalf("Test = %+v, want %s", result, tt.wantStatus)
			}
			if tt.wantHint != "" && !strings.Contains(result.Steps[2].Hint, tt.wantHint) {
				t.Errorf("hint = %q, want it to contain %q", result.Steps[2].Hint, tt.wantHint)
			}
		})
	}
}

func TestTestConfigWarnings(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"
	ds.Auth.ClientSecret = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

	result := newClient().Test(t.Context(), ds)

	if !result.OK {
		t.Fatalf("Test = %+v, want OK", result)
	}
	if len(result.Warnings) != 1 || !strings.HasPrefix(result.Warnings[0], "auth.clientSecret looks like a GUID") {
		t.Errorf("Warnings = %q, want the secret ID warning", result.Warnings)
	}
}

func TestTestClearsRememberedConfigError(t *testing.T) {
	var requests atomic.Int32
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			// Admin consent is missing until the admin grants it.
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' isn't valid.","error_codes":[70011]}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":3599}`, n)
	}))
	t.Cleanup(ts.Close)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"
	ds.UpdatedAt = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	client := newClient()

	first, firstErr := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"})
	_, secondErr := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"})
	afterErrors := requests.Load()
	result := client.Test(t.Context(), ds)
	_, thirdErr := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"})

	if !credential.IsConfigError(firstErr) || secondErr != firstErr {
		t.Fatalf("Do errors = %v (%+v), %v, want the remembered configuration error", firstErr, first, secondErr)
	}
	if afterErrors != 1 {
		t.Errorf("token requests after two calls = %d, want 1", afterErrors)
	}
	if !result.OK {
		t.Fatalf("Test = %+v, want OK once the grant is fixed", result)
	}
	if thirdErr != nil {
		t.Errorf("Do after a passing test = %v, want success", thirdErr)
	}
}
