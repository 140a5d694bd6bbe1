package entra_test

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

// certFixture is a fixture whose fieldlink app has an RSA and an EC
// certificate registered.
type certFixture struct {
	fixture
	rsaCert *x509.Certificate
	ecCert  *x509.Certificate
}

func setupCertificates(t *testing.T, edits ...func(*entra.Options)) certFixture {
	t.Helper()

	f := setup(t, edits...)
	cf := certFixture{
		fixture: f,
		rsaCert: currentCertificate(t, f, rsaKey()),
		ecCert:  currentCertificate(t, f, ecKey()),
	}
	for _, cert := range []*x509.Certificate{cf.rsaCert, cf.ecCert} {
		if err := f.server.AddCertificate(clientID, cert); err != nil {
			t.Fatalf("AddCertificate: %v", err)
		}
	}
	return cf
}

func TestAssertionSuccess(t *testing.T) {
	cf := setupCertificates(t)

	tests := []struct {
		name   string
		method jwt.SigningMethod
		key    any
		header func(certFixture) map[string]any
		claims func(jwt.MapClaims)
	}{
		{
			name:   "RS256 with x5t#S256",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.rsaCert)} },
		},
		{
			name:   "RS256 with x5t",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t": x5t(cf.rsaCert)} },
		},
		{
			name:   "PS256 with x5t#S256",
			method: jwt.SigningMethodPS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.rsaCert)} },
		},
		{
			name:   "PS256 with x5t",
			method: jwt.SigningMethodPS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t": x5t(cf.rsaCert)} },
		},
		{
			name:   "ES256 with x5t#S256",
			method: jwt.SigningMethodES256,
			key:    ecKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.ecCert)} },
		},
		{
			name:   "ES256 with x5t",
			method: jwt.SigningMethodES256,
			key:    ecKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t": x5t(cf.ecCert)} },
		},
		{
			name:   "x5t with base64 padding",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t": x5t(cf.rsaCert) + "="} },
		},
		{
			name:   "v1 token endpoint audience",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.rsaCert)} },
			claims: func(c jwt.MapClaims) {
				c["aud"] = strings.Replace(c["aud"].(string), "/oauth2/v2.0/token", "/oauth2/token", 1)
			},
		},
		{
			name:   "audience in upper case",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.rsaCert)} },
			claims: func(c jwt.MapClaims) { c["aud"] = strings.ToUpper(c["aud"].(string)) },
		},
		{
			name:   "no nbf",
			method: jwt.SigningMethodRS256,
			key:    rsaKey(),
			header: func(cf certFixture) map[string]any { return map[string]any{"x5t#S256": x5tS256(cf.rsaCert)} },
			claims: func(c jwt.MapClaims) { delete(c, "nbf") },
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := assertionClaims(cf.fixture)
			if tt.claims != nil {
				tt.claims(claims)
			}
			assertion := signAssertion(t, tt.method, tt.key, tt.header(cf), claims)

			resp, body := postForm(t, cf.tokenURL(tenantID), assertionForm(assertion), nil, nil)

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, body)
			}
			var got struct {
				AccessToken string `json:"access_token"`
			}
			decodeJSON(t, body, &got)
			verified, err := cf.server.VerifyToken(got.AccessToken, graphResource)
			if err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			if verified.AppID != clientID {
				t.Errorf("AppID = %q, want %q", verified.AppID, clientID)
			}
		})
	}
}

func TestAssertionErrors(t *testing.T) {
	cf := setupCertificates(t)
	now := cf.clock.Now()
	rsaHeader := map[string]any{"x5t#S256": x5tS256(cf.rsaCert)}

	unregistered := currentCertificate(t, cf.fixture, otherRSAKey())
	expiredCert := selfSigned(t, otherRSAKey(), now.AddDate(-2, 0, 0), now.Add(-time.Hour))
	if err := cf.server.AddCertificate(clientID, expiredCert); err != nil {
		t.Fatalf("AddCertificate: %v", err)
	}

	// sign signs the default claims, changed by edit, with the registered RSA
	// certificate's key and the given header.
	sign := func(method jwt.SigningMethod, key any, header map[string]any, edit func(jwt.MapClaims)) string {
		claims := assertionClaims(cf.fixture)
		if edit != nil {
			edit(claims)
		}
		return signAssertion(t, method, key, header, claims)
	}
	valid := sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, nil)

	tests := []struct {
		name        string
		form        url.Values
		basic       *[2]string
		wantStatus  int
		wantError   string
		wantCode    int
		wantMessage string
	}{
		{
			name:       "unregistered certificate",
			form:       assertionForm(sign(jwt.SigningMethodRS256, otherRSAKey(), map[string]any{"x5t#S256": x5tS256(unregistered)}, nil)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '" +
				hexThumbprint(unregistered) + "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '" +
				clientID + "'.]",
		},
		{
			name: "app without certificates",
			form: func() url.Values {
				form := assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
					c["iss"], c["sub"] = expiredClientID, expiredClientID
				}))
				form.Set("client_id", expiredClientID)
				return form
			}(),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "[Reason - The key was not found., Thumbprint of key used by client: '" + hexThumbprint(cf.rsaCert) +
				"', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '" + expiredClientID + "'.]",
		},
		{
			name:       "no thumbprint header",
			form:       assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), nil, nil)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "[Reason - The key was not found., Please visit the Azure Portal",
		},
		{
			name:       "hex thumbprint",
			form:       assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), map[string]any{"x5t#S256": hexThumbprint(cf.rsaCert)}, nil)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "Thumbprint of key used by client: '" + hexThumbprint(cf.rsaCert) + "', Please visit",
		},
		{
			name:       "signed with another key",
			form:       assertionForm(sign(jwt.SigningMethodRS256, otherRSAKey(), rsaHeader, nil)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "[Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '" +
				hexThumbprint(cf.rsaCert) + "', Found key 'Start=" + cf.rsaCert.NotBefore.UTC().Format("01/02/2006 15:04:05") +
				", End=" + cf.rsaCert.NotAfter.UTC().Format("01/02/2006 15:04:05") + "']",
		},
		{
			name:       "tampered claims",
			form:       assertionForm(tamperPayload(t, valid)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "The provided signature value did not match the expected signature value.",
		},
		{
			name:       "expired certificate",
			form:       assertionForm(sign(jwt.SigningMethodRS256, otherRSAKey(), map[string]any{"x5t#S256": x5tS256(expiredCert)}, nil)),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700027,
			wantMessage: "[Reason - The key used is expired., Thumbprint of key used by client: '" + hexThumbprint(expiredCert) +
				"', Found key 'Start=" + expiredCert.NotBefore.UTC().Format("01/02/2006 15:04:05") +
				", End=" + expiredCert.NotAfter.UTC().Format("01/02/2006 15:04:05") + "']",
		},
		{
			name:       "unsupported algorithm",
			form:       assertionForm(sign(jwt.SigningMethodHS256, []byte("a shared secret of enough length"), rsaHeader, nil)),
			wantStatus: 400, wantError: "invalid_request", wantCode: 5002738,
			wantMessage: "Invalid JWT token. 'HS256' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, PS256, ES256'",
		},
		{
			name:       "ES256 with an RSA certificate",
			form:       assertionForm(sign(jwt.SigningMethodES256, ecKey(), rsaHeader, nil)),
			wantStatus: 400, wantError: "invalid_request", wantCode: 5002730,
			wantMessage: "Invalid JWT token. Unsupported key for the signing algorithm.",
		},
		{
			name:       "not a JWT",
			form:       assertionForm("not-a-jwt"),
			wantStatus: 400, wantError: "invalid_request", wantCode: 50027,
			wantMessage: "JWT token is invalid or malformed.",
		},
		{
			name:       "payload not base64url",
			form:       assertionForm(strings.Split(valid, ".")[0] + ".!!!." + strings.Split(valid, ".")[2]),
			wantStatus: 400, wantError: "invalid_request", wantCode: 50027,
			wantMessage: "JWT token is invalid or malformed.",
		},
		{
			name: "audience as array",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["aud"] = []string{c["aud"].(string)}
			})),
			wantStatus: 400, wantError: "invalid_request", wantCode: 50027,
			wantMessage: "JWT token is invalid or malformed.",
		},
		{
			name: "issuer differs from subject",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["iss"] = "https://issuer.example"
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 50048,
			wantMessage: "Subject mismatches Issuer claim in the client assertion.",
		},
		{
			name: "subject of another app",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["iss"], c["sub"] = expiredClientID, expiredClientID
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700021,
			wantMessage: "Client assertion application identifier doesn't match 'client_id' parameter.",
		},
		{
			name: "audience of another tenant",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["aud"] = cf.tokenURL("3268784c-1550-4d42-9cc3-e56f52966daf")
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700023,
			wantMessage: "Client assertion audience claim does not match Realm issuer.",
		},
		{
			name: "audience of common",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["aud"] = cf.tokenURL("common")
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700023,
			wantMessage: "Client assertion audience claim does not match Realm issuer.",
		},
		{
			name: "audience of another host",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["aud"] = "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/token"
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700023,
			wantMessage: "Client assertion audience claim does not match Realm issuer.",
		},
		{
			name: "issuer URL as audience",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["aud"] = cf.http.URL + "/" + tenantID + "/v2.0"
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700023,
			wantMessage: "Client assertion audience claim does not match Realm issuer.",
		},
		{
			name: "expired assertion",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["nbf"] = now.Add(-6 * time.Minute).Unix()
				c["exp"] = now.Add(-time.Minute).Unix()
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700024,
			wantMessage: "Client assertion is not within its valid time range. Current time: 2025-03-14T09:30:00.0000000Z, " +
				"assertion valid from 2025-03-14T09:24:00.0000000Z, expiry time of assertion 2025-03-14T09:29:00.0000000Z. " +
				"Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
		},
		{
			name: "expires this second",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["exp"] = now.Unix()
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700024,
			wantMessage: "expiry time of assertion 2025-03-14T09:30:00.0000000Z.",
		},
		{
			name: "not yet valid",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				c["nbf"] = now.Add(time.Minute).Unix()
				c["exp"] = now.Add(6 * time.Minute).Unix()
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700024,
			wantMessage: "Current time: 2025-03-14T09:30:00.0000000Z, assertion valid from 2025-03-14T09:31:00.0000000Z, " +
				"expiry time of assertion 2025-03-14T09:36:00.0000000Z.",
		},
		{
			name: "no exp",
			form: assertionForm(sign(jwt.SigningMethodRS256, rsaKey(), rsaHeader, func(c jwt.MapClaims) {
				delete(c, "exp")
				delete(c, "nbf")
			})),
			wantStatus: 401, wantError: "invalid_client", wantCode: 700024,
			wantMessage: "assertion valid from 1970-01-01T00:00:00.0000000Z, expiry time of assertion 1970-01-01T00:00:00.0000000Z.",
		},
		{
			name: "missing assertion type",
			form: func() url.Values {
				form := assertionForm(valid)
				form.Del("client_assertion_type")
				return form
			}(),
			wantStatus: 400, wantError: "invalid_request", wantCode: 900144,
			wantMessage: "The request body must contain the following parameter: 'client_assertion_type'.",
		},
		{
			name: "wrong assertion type",
			form: func() url.Values {
				form := assertionForm(valid)
				form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
				return form
			}(),
			wantStatus: 400, wantError: "invalid_request", wantCode: 90011,
			wantMessage: "Unexpected client assertion type.",
		},
		{
			name: "secret and assertion in body",
			form: func() url.Values {
				form := assertionForm(valid)
				form.Set("client_secret", secret)
				return form
			}(),
			wantStatus: 400, wantError: "invalid_request", wantCode: 9002313,
			wantMessage: "Invalid request. Request is malformed or invalid.",
		},
		{
			name: "secret in header and assertion in body",
			form: func() url.Values {
				form := assertionForm(valid)
				form.Del("client_id")
				return form
			}(),
			basic:      &[2]string{url.QueryEscape(clientID), url.QueryEscape(secret)},
			wantStatus: 400, wantError: "invalid_request", wantCode: 9002313,
			wantMessage: "Invalid request. Request is malformed or invalid.",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := postForm(t, cf.tokenURL(tenantID), tt.form, tt.basic, nil)

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			var got errorResponse
			decodeJSON(t, raw, &got)
			checkErrorShape(t, cf.fixture, got, tt.wantError, tt.wantCode)
			if !strings.Contains(got.ErrorDescription, tt.wantMessage) {
				t.Errorf("error_description = %q, want it to contain %q", got.ErrorDescription, tt.wantMessage)
			}
		})
	}
}

// tamperPayload replaces the payload of a signed assertion with one that has
// another jti, keeping the original header and signature.
func tamperPayload(t *testing.T, assertion string) string {
	t.Helper()

	parts := strings.Split(assertion, ".")
	payload := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, &payload); err != nil {
		t.Fatalf("parse assertion: %v", err)
	}
	payload["jti"] = "tampered"
	forged := signAssertion(t, jwt.SigningMethodRS256, otherRSAKey(), nil, payload)
	return parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
}
