package credential

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// entraInvalidSecretBody is an Entra ID token error response for a wrong
// client secret, in the shape Entra ID sends.
const entraInvalidSecretBody = `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'client-1'.\r\nTrace ID: 0f4c7d1e-aaaa-4bbb-8ccc-123456789abc\r\nCorrelation ID: 5e6f7a8b-dddd-4eee-8fff-abcdef012345\r\nTimestamp: 2025-03-01 09:00:00Z","error_codes":[7000215],"timestamp":"2025-03-01 09:00:00Z","trace_id":"0f4c7d1e-aaaa-4bbb-8ccc-123456789abc","correlation_id":"5e6f7a8b-dddd-4eee-8fff-abcdef012345","error_uri":"https://login.example/error?code=7000215"}`

func errorEndpoint(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fetchError(t *testing.T, tokenURL string) error {
	t.Helper()
	cache := NewCache(loopbackClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(tokenURL, fieldlink.ClientAuthBody))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)
	err = authorizer.Authorize(t.Context(), req)
	if err == nil {
		t.Fatal("Authorize succeeded, want an error")
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q after a failed token request, want none", got)
	}
	return err
}

func TestTokenErrorEntraBody(t *testing.T) {
	srv := errorEndpoint(t, http.StatusUnauthorized, "application/json; charset=utf-8", entraInvalidSecretBody)

	err := fetchError(t, srv.URL+"/tenant-1/oauth2/v2.0/token")

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	want := &TokenError{
		Status:        http.StatusUnauthorized,
		Code:          "invalid_client",
		Description:   "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'client-1'.\r\nTrace ID: 0f4c7d1e-aaaa-4bbb-8ccc-123456789abc\r\nCorrelation ID: 5e6f7a8b-dddd-4eee-8fff-abcdef012345\r\nTimestamp: 2025-03-01 09:00:00Z",
		ErrorCodes:    []int{7000215},
		TraceID:       "0f4c7d1e-aaaa-4bbb-8ccc-123456789abc",
		CorrelationID: "5e6f7a8b-dddd-4eee-8fff-abcdef012345",
		Timestamp:     "2025-03-01 09:00:00Z",
		TokenURL:      srv.URL + "/tenant-1/oauth2/v2.0/token",
	}
	if diff := cmp.Diff(want, tokenErr); diff != "" {
		t.Errorf("TokenError (-want +got):\n%s", diff)
	}

	wantMsg := "token request to " + srv.URL + "/tenant-1/oauth2/v2.0/token failed with status 401 Unauthorized: invalid_client: AADSTS7000215: Invalid client secret provided."
	if msg := err.Error(); !strings.HasPrefix(msg, wantMsg) {
		t.Errorf("message = %q, want it to start with %q", msg, wantMsg)
	}
	if msg := err.Error(); strings.Contains(msg, "Trace ID") {
		t.Errorf("message = %q, want the trace lines left out", msg)
	}
	if hint := Hint(err); !strings.Contains(hint, "Secret ID") {
		t.Errorf("Hint = %q, want the secret Value versus Secret ID advice", hint)
	}
}

func TestTokenErrorPlainOAuthBody(t *testing.T) {
	srv := errorEndpoint(t, http.StatusBadRequest, "application/json", `{"error":"invalid_scope","error_description":"The requested scope is invalid."}`)

	err := fetchError(t, srv.URL)

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	want := &TokenError{Status: 400, Code: "invalid_scope", Description: "The requested scope is invalid.", TokenURL: srv.URL}
	if diff := cmp.Diff(want, tokenErr); diff != "" {
		t.Errorf("TokenError (-want +got):\n%s", diff)
	}
}

func TestTokenErrorHTMLBody(t *testing.T) {
	srv := errorEndpoint(t, http.StatusNotFound, "text/html", "<html><body>Not here. client_secret="+awkwardSecret+"</body></html>")

	err := fetchError(t, srv.URL+"/wrong")

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	if tokenErr.Status != http.StatusNotFound {
		t.Errorf("Status = %d, want 404", tokenErr.Status)
	}
	if tokenErr.Code != "" {
		t.Errorf("Code = %q, want none", tokenErr.Code)
	}
	if !strings.Contains(tokenErr.Description, "Not here.") {
		t.Errorf("Description = %q, want an excerpt of the body", tokenErr.Description)
	}
	if strings.Contains(err.Error(), awkwardSecret) {
		t.Errorf("message %q contains the client secret", err)
	}
	if hint := Hint(err); !strings.Contains(hint, "/oauth2/v2.0/token") {
		t.Errorf("Hint = %q, want advice on the token URL", hint)
	}
}

func TestTokenErrorNotTokenResponse(t *testing.T) {
	srv := errorEndpoint(t, http.StatusOK, "text/html", "<html>Sign in</html>")

	err := fetchError(t, srv.URL)

	if !errors.Is(err, ErrInvalidTokenResponse) {
		t.Errorf("error = %v, want ErrInvalidTokenResponse", err)
	}
	if hint := Hint(err); !strings.Contains(hint, "token endpoint") {
		t.Errorf("Hint = %q, want advice on the token endpoint", hint)
	}
}

func TestTokenErrorBlockedAddress(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	cache := NewCache(defaultClients(), nil)
	authorizer, err := cache.Authorizer(oauthDatasource(te.URL, fieldlink.ClientAuthHeader))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)

	err = authorizer.Authorize(t.Context(), req)

	if err == nil {
		t.Fatal("Authorize succeeded, want a blocked address error")
	}
	if hint := Hint(err); !strings.Contains(hint, "--allow-loopback") {
		t.Errorf("Hint = %q, want --allow-loopback", hint)
	}
	if got := te.requests.Load(); got != 0 {
		t.Errorf("token requests = %d, want 0", got)
	}
}
