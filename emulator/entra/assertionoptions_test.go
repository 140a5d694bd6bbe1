package entra_test

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

// postAssertion signs claims with the registered RSA certificate and sends
// them as a token request. It returns the status and the error response,
// which is empty on success.
func postAssertion(t *testing.T, cf certFixture, claims jwt.MapClaims) (int, errorResponse) {
	t.Helper()

	assertion := signAssertion(t, jwt.SigningMethodRS256, rsaKey(), map[string]any{"x5t#S256": x5tS256(cf.rsaCert)}, claims)
	resp, raw := postForm(t, cf.tokenURL(tenantID), assertionForm(assertion), nil, nil)

	var got errorResponse
	if resp.StatusCode != http.StatusOK {
		decodeJSON(t, raw, &got)
	}
	return resp.StatusCode, got
}

func TestAssertionReuseAcceptedByDefault(t *testing.T) {
	cf := setupCertificates(t)
	claims := assertionClaims(cf.fixture)

	for i := range 2 {
		if status, got := postAssertion(t, cf, claims); status != http.StatusOK {
			t.Errorf("request %d: status = %d, want 200; error: %s", i+1, status, got.ErrorDescription)
		}
	}
}

func TestAssertionReplayRejected(t *testing.T) {
	cf := setupCertificates(t, func(o *entra.Options) { o.RejectReplayedAssertions = true })
	claims := assertionClaims(cf.fixture)
	jti := claims["jti"].(string)

	if status, got := postAssertion(t, cf, claims); status != http.StatusOK {
		t.Fatalf("first use: status = %d, want 200; error: %s", status, got.ErrorDescription)
	}

	status, got := postAssertion(t, cf, claims)
	if status != http.StatusUnauthorized {
		t.Errorf("replay: status = %d, want 401", status)
	}
	checkErrorShape(t, cf.fixture, got, "invalid_client", 50013)
	if want := "the jti '" + jti + "' was already used"; !strings.Contains(got.ErrorDescription, want) {
		t.Errorf("replay: error_description = %q, want it to contain %q", got.ErrorDescription, want)
	}

	if status, got := postAssertion(t, cf, assertionClaims(cf.fixture)); status != http.StatusOK {
		t.Errorf("new jti: status = %d, want 200; error: %s", status, got.ErrorDescription)
	}
}

func TestAssertionReplayAfterExpiry(t *testing.T) {
	cf := setupCertificates(t, func(o *entra.Options) { o.RejectReplayedAssertions = true })
	first := assertionClaims(cf.fixture)
	if status, got := postAssertion(t, cf, first); status != http.StatusOK {
		t.Fatalf("first use: status = %d, want 200; error: %s", status, got.ErrorDescription)
	}

	// Once the first assertion has expired, its jti may be used again.
	cf.clock.Advance(6 * time.Minute)
	second := assertionClaims(cf.fixture)
	second["jti"] = first["jti"]

	if status, got := postAssertion(t, cf, second); status != http.StatusOK {
		t.Errorf("jti after expiry: status = %d, want 200; error: %s", status, got.ErrorDescription)
	}
}

func TestAssertionReplayNeedsJTI(t *testing.T) {
	cf := setupCertificates(t, func(o *entra.Options) { o.RejectReplayedAssertions = true })
	claims := assertionClaims(cf.fixture)
	delete(claims, "jti")

	status, got := postAssertion(t, cf, claims)

	if status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", status)
	}
	checkErrorShape(t, cf.fixture, got, "invalid_client", 50013)
	if want := "it has no jti claim"; !strings.Contains(got.ErrorDescription, want) {
		t.Errorf("error_description = %q, want it to contain %q", got.ErrorDescription, want)
	}
}

func TestAssertionMaxLifetime(t *testing.T) {
	tests := []struct {
		name        string
		limit       time.Duration
		nbf         *time.Duration // offset from now; nil leaves nbf out
		iat         time.Duration
		exp         time.Duration
		wantMessage string // empty when the request must succeed
	}{
		{name: "no limit and one hour", exp: time.Hour},
		{name: "within limit", limit: 10 * time.Minute, nbf: offset(0), exp: 5 * time.Minute},
		{name: "equal to limit", limit: 10 * time.Minute, nbf: offset(0), exp: 10 * time.Minute},
		{
			name: "over limit", limit: 10 * time.Minute, nbf: offset(0), exp: time.Hour,
			wantMessage: "assertion valid from 2025-03-14T09:30:00.0000000Z, expiry time of assertion 2025-03-14T10:30:00.0000000Z. " +
				"Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . " +
				"The assertion is valid for 1h0m0s, and this emulated tenant accepts at most 10m0s; sign a shorter one.",
		},
		{
			name: "measured from iat without nbf", limit: 10 * time.Minute, iat: -5 * time.Minute, exp: 6 * time.Minute,
			wantMessage: "assertion valid from 2025-03-14T09:25:00.0000000Z, expiry time of assertion 2025-03-14T09:36:00.0000000Z.",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := setupCertificates(t, func(o *entra.Options) { o.MaxAssertionLifetime = tt.limit })
			now := cf.clock.Now()
			claims := assertionClaims(cf.fixture)
			delete(claims, "nbf")
			if tt.nbf != nil {
				claims["nbf"] = now.Add(*tt.nbf).Unix()
			}
			claims["iat"] = now.Add(tt.iat).Unix()
			claims["exp"] = now.Add(tt.exp).Unix()

			status, got := postAssertion(t, cf, claims)

			if tt.wantMessage == "" {
				if status != http.StatusOK {
					t.Errorf("status = %d, want 200; error: %s", status, got.ErrorDescription)
				}
				return
			}
			if status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", status)
			}
			checkErrorShape(t, cf.fixture, got, "invalid_client", 700024)
			if !strings.Contains(got.ErrorDescription, tt.wantMessage) {
				t.Errorf("error_description = %q, want it to contain %q", got.ErrorDescription, tt.wantMessage)
			}
		})
	}
}

func offset(d time.Duration) *time.Duration {
	return &d
}

func TestAppCertificatesOption(t *testing.T) {
	// The certificate must exist before New, so it is valid around the
	// fixed time that setup's clock starts at.
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := selfSigned(t, rsaKey(), start, start.AddDate(5, 0, 0))
	f := setup(t, func(o *entra.Options) { o.Apps[0].Certificates = []*x509.Certificate{cert} })
	cf := certFixture{fixture: f, rsaCert: cert}

	if status, got := postAssertion(t, cf, assertionClaims(f)); status != http.StatusOK {
		t.Errorf("status = %d, want 200; error: %s", status, got.ErrorDescription)
	}
}

func TestAddCertificateRejects(t *testing.T) {
	f := setup(t)
	cert := currentCertificate(t, f, rsaKey())
	unknown := "5f87d04b-e478-4277-918c-4cfbd85e02d7"

	if err := f.server.AddCertificate(unknown, cert); err == nil || !strings.Contains(err.Error(), unknown) {
		t.Errorf("AddCertificate for unknown app: error = %v, want one naming %s", err, unknown)
	}
	if err := f.server.AddCertificate(clientID, nil); err == nil {
		t.Errorf("AddCertificate with nil certificate: error = nil, want an error")
	}
}
