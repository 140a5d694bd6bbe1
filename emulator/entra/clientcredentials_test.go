package entra_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// assertionConfig is a clientcredentials.Config that authenticates with
// assertion in EndpointParams and sends no client secret.
func assertionConfig(cf certFixture, assertion string) clientcredentials.Config {
	return clientcredentials.Config{
		ClientID: clientID,
		TokenURL: cf.tokenURL(tenantID),
		Scopes:   []string{graphScope},
		EndpointParams: url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		},
		AuthStyle: oauth2.AuthStyleInParams,
	}
}

func TestClientCredentialsWithAssertion(t *testing.T) {
	cf := setupCertificates(t)
	assertion := signAssertion(t, jwt.SigningMethodPS256, rsaKey(),
		map[string]any{"x5t#S256": x5tS256(cf.rsaCert)}, assertionClaims(cf.fixture))
	cfg := assertionConfig(cf, assertion)

	token, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}

	if token.TokenType != "Bearer" {
		t.Errorf("TokenType = %q, want Bearer", token.TokenType)
	}
	claims, err := cf.server.VerifyToken(token.AccessToken, graphResource)
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if claims.AppID != clientID {
		t.Errorf("AppID = %q, want %q", claims.AppID, clientID)
	}
	if got := cf.server.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests() = %d, want 1", got)
	}
}

func TestClientCredentialsExpiredAssertion(t *testing.T) {
	cf := setupCertificates(t)
	claims := assertionClaims(cf.fixture)
	claims["exp"] = cf.clock.Now().Add(-time.Minute).Unix()
	assertion := signAssertion(t, jwt.SigningMethodRS256, rsaKey(), map[string]any{"x5t": x5t(cf.rsaCert)}, claims)
	cfg := assertionConfig(cf, assertion)

	_, err := cfg.Token(context.Background())

	var retrieveErr *oauth2.RetrieveError
	if !errors.As(err, &retrieveErr) {
		t.Fatalf("Token error = %v, want an *oauth2.RetrieveError", err)
	}
	if retrieveErr.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", retrieveErr.Response.StatusCode)
	}
	if retrieveErr.ErrorCode != "invalid_client" {
		t.Errorf("ErrorCode = %q, want invalid_client", retrieveErr.ErrorCode)
	}
	if !strings.HasPrefix(retrieveErr.ErrorDescription, "AADSTS700024: ") {
		t.Errorf("ErrorDescription = %q, want prefix AADSTS700024", retrieveErr.ErrorDescription)
	}
}
