package entra_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

func newHTTPServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func fetchToken(t *testing.T, f fixture) string {
	t.Helper()
	form := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})
	resp, raw := postForm(t, f.tokenURL(tenantID), form, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token request: status %d: %s", resp.StatusCode, raw)
	}
	var got struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(t, raw, &got)
	return got.AccessToken
}

func TestVerifyTokenRejects(t *testing.T) {
	f := setup(t)
	token := fetchToken(t, f)

	other := entra.New(entra.Options{TenantID: tenantID, Apps: []entra.App{{ClientID: clientID, ClientSecret: secret}}})
	otherToken := fetchToken(t, fixture{server: other, http: newHTTPServer(t, other), clock: f.clock})

	otherTenant := entra.New(entra.Options{TenantID: "3268784c-1550-4d42-9cc3-e56f52966daf"})

	parts := strings.Split(token, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

	tests := []struct {
		name     string
		server   *entra.Server
		token    string
		resource string
		want     error
	}{
		{"wrong audience", f.server, token, "https://crm.example", jwt.ErrTokenInvalidAudience},
		{"tampered signature", f.server, tampered, graphResource, jwt.ErrTokenSignatureInvalid},
		{"other signing key", f.server, otherToken, graphResource, jwt.ErrTokenSignatureInvalid},
		{"malformed", f.server, "not-a-jwt", graphResource, jwt.ErrTokenMalformed},
		{"empty", f.server, "", graphResource, jwt.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.server.VerifyToken(tt.token, tt.resource)
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifyToken error = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("other tenant", func(t *testing.T) {
		// A server for another tenant has its own key, so the signature
		// check fails before the tenant check.
		if _, err := otherTenant.VerifyToken(token, graphResource); err == nil {
			t.Errorf("VerifyToken on another tenant succeeded, want an error")
		}
	})
}

func TestVerifyTokenExpiry(t *testing.T) {
	f := setup(t)
	token := fetchToken(t, f)

	f.clock.Advance(3598 * time.Second)
	if _, err := f.server.VerifyToken(token, graphResource); err != nil {
		t.Fatalf("VerifyToken 1s before expiry: %v", err)
	}

	f.clock.Advance(2 * time.Second)
	_, err := f.server.VerifyToken(token, graphResource)
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("VerifyToken after expiry: error = %v, want %v", err, jwt.ErrTokenExpired)
	}
}

func TestVerifyTokenResourceTrailingSlash(t *testing.T) {
	f := setup(t)
	token := fetchToken(t, f)

	claims, err := f.server.VerifyToken(token, graphResource+"/")
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if claims.Audience != graphResource {
		t.Errorf("Audience = %q, want %q", claims.Audience, graphResource)
	}
}
