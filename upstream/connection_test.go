package upstream_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/upstream"
)

// ignoreDurations leaves out the measured step durations.
var ignoreDurations = cmpopts.IgnoreFields(fieldlink.TestStep{}, "DurationMS")

// graphAPI returns 200 for requests with bearer tokens from a tokenServer
// and 401 otherwise.
func graphAPI(t *testing.T) *apiServer {
	return newAPIServer(t, func(r *http.Request) (int, string) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer token-") {
			return http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`
		}
		return http.StatusOK, `{"value":[{"id":"1"}]}`
	})
}

func TestTestValidAccessToken(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"
	before := time.Now()

	got := newClient().Test(t.Context(), ds)

	if got.Token == nil {
		t.Fatalf("Test = %+v, want token details", got)
	}
	want := fieldlink.TestResult{
		OK:     true,
		Status: fieldlink.StatusValidAccessToken,
		Steps: []fieldlink.TestStep{
			{
				Name:    upstream.StepAddress,
				OK:      true,
				Message: "API and token host 127.0.0.1 → 127.0.0.1.",
			},
			{
				Name:    upstream.StepToken,
				OK:      true,
				Message: fmt.Sprintf("Received a Bearer token from %s/tenant-1/oauth2/v2.0/token, expiring at %s.", ts.URL, got.Token.ExpiresAt.UTC().Format(time.RFC3339)),
			},
			{
				Name:    upstream.StepRequest,
				OK:      true,
				Message: fmt.Sprintf("GET %s/v1.0/users?$top=1 returned 200 OK with 22 bytes.", api.URL),
			},
		},
		Token: &fieldlink.TokenDetails{Type: "Bearer", ExpiresAt: got.Token.ExpiresAt},
	}
	if diff := cmp.Diff(want, got, ignoreDurations); diff != "" {
		t.Errorf("TestResult (-want +got):\n%s", diff)
	}
	if earliest := before.Add(3599 * time.Second); got.Token.ExpiresAt.Before(earliest) {
		t.Errorf("ExpiresAt = %s, want expires_in 3599 after the request, not before %s", got.Token.ExpiresAt, earliest)
	}
}

func TestTestFetchesFreshToken(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/me"
	client := newClient()
	if _, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/me"}); err != nil {
		t.Fatalf("Do: %v", err)
	}

	result := client.Test(t.Context(), ds)

	if !result.OK {
		t.Errorf("Test = %+v, want OK", result)
	}
	if got := ts.requests.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2 (Test must not reuse the cached token)", got)
	}
	seen := api.seen()
	if len(seen) != 2 || seen[1].Authorization != "Bearer token-2" {
		t.Errorf("API requests = %+v, want the test request to carry Bearer token-2", seen)
	}
}

func TestTestWithoutTestPath(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)

	result := newClient().Test(t.Context(), oauthDatasource(ts, api))

	if result.OK || result.Status != upstream.StatusNoTestPath {
		t.Fatalf("Test = %+v, want not OK with %s", result, upstream.StatusNoTestPath)
	}
	if len(result.Steps) != 3 {
		t.Fatalf("steps = %+v, want address, token and the unsent request", result.Steps)
	}
	if !result.Steps[1].OK || result.Token == nil {
		t.Errorf("token step = %+v, token = %+v, want the token fetched", result.Steps[1], result.Token)
	}
	request := result.Steps[2]
	if request.OK {
		t.Errorf("request step = %+v, want it not OK", request)
	}
	if !strings.Contains(request.Hint, "/users?$top=1&$select=id") {
		t.Errorf("hint = %q, want the Graph test path", request.Hint)
	}
	if !strings.Contains(request.Hint, "Do not use /me") {
		t.Errorf("hint = %q, want the warning about /me", request.Hint)
	}
	if got := len(api.seen()); got != 0 {
		t.Errorf("API calls = %d, want 0", got)
	}
}

func TestTestWrongSecretEntra(t *testing.T) {
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io := `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'client-1'.\r\nTrace ID: 0f4c7d1e-aaaa-4bbb-8ccc-123456789abc\r\nCorrelation ID: 5e6f7a8b-dddd-4eee-8fff-abcdef012345\r\nTimestamp: 2025-03-01 09:00:00Z","error_codes":[7000215],"timestamp":"2025-03-01 09:00:00Z","trace_id":"0f4c7d1e-aaaa-4bbb-8ccc-123456789abc","correlation_id":"5e6f7a8b-dddd-4eee-8fff-abcdef012345"}`
		fmt.Fprint(w, io)
	}))
	t.Cleanup(tokenEndpoint.Close)
	api := graphAPI(t)
	ds := oauthDatasource(&tokenServer{Server: tokenEndpoint}, api)
	ds.TestPath = "/me"

	result := newClient().Test(t.Context(), ds)

	if result.OK || result.Status != upstream.StatusTokenRequestFailed {
		t.Fatalf("Test = %+v, want %s", result, upstream.StatusTokenRequestFailed)
	}
	if len(result.Steps) != 2 {
		t.Fatalf("steps = %+v, want the address step and the failed token step", result.Steps)
	}
	step := result.Steps[1]
	if !strings.Contains(step.Message, "invalid_client: AADSTS7000215") {
		t.Errorf("message = %q, want the Entra code", step.Message)
	}
	if !strings.Contains(step.Hint, "not its Secret ID") {
		t.Errorf("hint = %q, want the secret Value versus Secret ID advice", step.Hint)
	}
	if strings.Contains(step.Message, clientSecret) || strings.Contains(step.Hint, clientSecret) {
		t.Errorf("step %+v contains the client secret", step)
	}
	if got := len(api.seen()); got != 0 {
		t.Errorf("API calls = %d, want 0 after a failed token request", got)
	}
}

func TestTestUnreachableTokenURL(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	closed := &tokenServer{Server: &httptest.Server{URL: "http://" + listener.Addr().String()}}
	listener.Close()
	ds := oauthDatasource(closed, graphAPI(t))

	result := newClient().Test(t.Context(), ds)

	if result.Status != upstream.StatusTokenRequestFailed {
		t.Fatalf("status = %q, want %s", result.Status, upstream.StatusTokenRequestFailed)
	}
	step := result.Steps[1]
	if !strings.Contains(step.Message, "fetch token from "+closed.URL) {
		t.Errorf("message = %q, want it to name the token URL", step.Message)
	}
	if !strings.Contains(step.Hint, "Nothing accepts connections") {
		t.Errorf("hint = %q, want the connection refused advice", step.Hint)
	}
}

func TestTestAPIPermissionDenied(t *testing.T) {
	ts := newTokenServer(t)
	api := newAPIServer(t, func(*http.Request) (int, string) {
		return http.StatusForbidden, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"r-1"}}}`
	})
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"

	result := newClient().Test(t.Context(), ds)

	if result.OK || result.Status != upstream.StatusAPIRequestFailed {
		t.Fatalf("Test = %+v, want %s", result, upstream.StatusAPIRequestFailed)
	}
	step := result.Steps[2]
	wantMessage := fmt.Sprintf("GET %s/v1.0/users?$top=1 returned 403 Forbidden: Authorization_RequestDenied: Insufficient privileges to complete the operation.", api.URL)
	if step.Message != wantMessage {
		t.Errorf("message = %q, want %q", step.Message, wantMessage)
	}
	if !strings.Contains(step.Hint, `"Grant admin consent"`) {
		t.Errorf("hint = %q, want the admin consent advice", step.Hint)
	}
}

func TestTestAPIBodyRedacted(t *testing.T) {
	ts := newTokenServer(t)
	api := newAPIServer(t, func(r *http.Request) (int, string) {
		return http.StatusBadRequest, "<html>rejected " + r.Header.Get("Authorization") + " for client secret " + clientSecret + "</html>"
	})
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/me"

	result := newClient().Test(t.Context(), ds)

	step := result.Steps[2]
	if strings.Contains(step.Message, "token-1") {
		t.Errorf("message %q contains the access token", step.Message)
	}
	if strings.Contains(step.Message, clientSecret) {
		t.Errorf("message %q contains the client secret", step.Message)
	}
	if !strings.Contains(step.Message, "rejected Bearer [REDACTED]") {
		t.Errorf("message %q does not excerpt the body", step.Message)
	}
}

func TestTestStaticModes(t *testing.T) {
	api := newAPIServer(t, func(r *http.Request) (int, string) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "svc" || pass != "pw" {
			return http.StatusUnauthorized, `{"message":"bad credentials"}`
		}
		return http.StatusOK, `{}`
	})
	tests := []struct {
		name       string
		password   string
		testPath   string
		wantOK     bool
		wantStatus string
		wantHint   string
	}{
		{name: "basic accepted", password: "pw", testPath: "/me", wantOK: true, wantStatus: fieldlink.StatusValidCredentials},
		{name: "basic rejected", password: "wrong", testPath: "/me", wantStatus: upstream.StatusAPIRequestFailed, wantHint: "some cloud APIs take an API token"},
		{name: "no test path", password: "pw", wantStatus: upstream.StatusNoTestPath, wantHint: "Set a test path that these credentials may read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := fieldlink.Datasource{
				ID:       "ds-cmdb",
				BaseURL:  api.URL,
				TestPath: tt.testPath,
				Auth:     fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: tt.password},
			}

			result := newClient().Test(t.Context(), ds)

			if result.OK != tt.wantOK || result.Status != tt.wantStatus {
				t.Errorf("Test = OK %v status %q, want OK %v status %q", result.OK, result.Status, tt.wantOK, tt.wantStatus)
			}
			if len(result.Steps) != 3 {
				t.Fatalf("steps = %+v, want address, token and request", result.Steps)
			}
			if want := `Requests carry HTTP Basic credentials for user "svc". No token request is needed.`; result.Steps[1].Message != want {
				t.Errorf("token step message = %q, want %q", result.Steps[1].Message, want)
			}
			if !strings.Contains(result.Steps[2].Hint, tt.wantHint) {
				t.Errorf("request hint = %q, want it to contain %q", result.Steps[2].Hint, tt.wantHint)
			}
			if result.Token != nil {
				t.Errorf("Token = %+v, want none for basic authentication", result.Token)
			}
		})
	}
}

func TestTestInvalidSettings(t *testing.T) {
	ds := fieldlink.Datasource{
		ID:      "ds-1",
		BaseURL: "http://127.0.0.1:1",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             "ftp://x",
			ClientID:             "c",
			ClientSecret:         clientSecret,
			ClientAuthentication: fieldlink.ClientAuthHeader,
		},
	}

	result := newClient().Test(t.Context(), ds)

	if result.OK || result.Status != upstream.StatusInvalidSettings {
		t.Fatalf("Test = %+v, want %s", result, upstream.StatusInvalidSettings)
	}
	if len(result.Steps) != 1 || result.Steps[0].Name != upstream.StepToken {
		t.Fatalf("steps = %+v, want only the token step, before any lookup", result.Steps)
	}
	if !strings.HasPrefix(result.Steps[0].Message, `auth.tokenUrl "ftp://x" is not an http(s) URL`) {
		t.Errorf("message = %q, want the validation error", result.Steps[0].Message)
	}
}
