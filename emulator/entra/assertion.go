package entra

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// supportedAlgorithms lists the JWS algorithms a client assertion may be
// signed with, in the order error messages name them.
//
// NOTE: Entra ID's certificate credentials page documents PS256, and RS256 is
// what most clients send. In 2021 Entra ID rejected an ES384 assertion with
// "Supported signing algorithms are: 'RS256, HS256'", so whether it accepts
// ES256 today is not confirmed. HS256 (a secret as the key) is not emulated.
var supportedAlgorithms = []string{"RS256", "PS256", "ES256"}

var signingMethods = map[string]jwt.SigningMethod{
	"RS256": jwt.SigningMethodRS256,
	"PS256": jwt.SigningMethodPS256,
	"ES256": jwt.SigningMethodES256,
}

// assertionHeader is the JOSE header of a client assertion. x5t#S256 and x5t
// are the base64url SHA-256 and SHA-1 thumbprints of the certificate's DER
// encoding (RFC 7515 §4.1.7 and §4.1.8).
type assertionHeader struct {
	Alg     string `json:"alg"`
	X5T     string `json:"x5t"`
	X5TS256 string `json:"x5t#S256"`
}

// assertionClaims are the claims of a client assertion (RFC 7523 §3). Aud is
// a single string: Entra ID rejects an array as a malformed JWT, even one
// that contains its token endpoint.
type assertionClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	ID        string   `json:"jti"`
	ExpiresAt *float64 `json:"exp"`
	NotBefore *float64 `json:"nbf"`
	IssuedAt  *float64 `json:"iat"`
}

// assertionID names one assertion for the replay check.
type assertionID struct {
	clientID string
	jti      string
}

// checkAssertion verifies a client assertion as app's credential for the
// token request r. It checks, in this order: the JWT's form, the algorithm,
// the certificate named by x5t#S256 or x5t, the signature, iss and sub, aud,
// exp and nbf, and, when Options.RejectReplayedAssertions is set, the jti.
// The signature comes before the claims so that a caller without the key
// learns nothing about which claims would pass.
func (s *Server) checkAssertion(r *http.Request, app App, assertion string) *tokenError {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fail(errInvalidJWT())
	}
	var header assertionHeader
	var claims assertionClaims
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !decodeSegment(parts[0], &header) || !decodeSegment(parts[1], &claims) {
		return fail(errInvalidJWT())
	}

	if header.Alg == "" {
		return fail(errInvalidJWT())
	}
	method, ok := signingMethods[header.Alg]
	if !ok {
		return fail(errUnsupportedAlgorithm(header.Alg))
	}

	cert, thumbprint := matchCertificate(s.appCertificates(app.ClientID), header)
	if cert == nil {
		return fail(errKeyNotFound(app.ClientID, thumbprint))
	}
	now := s.opts.Now()
	if now.After(cert.NotAfter) {
		return fail(errKeyExpired(thumbprint, cert))
	}
	if !keyFitsAlgorithm(cert.PublicKey, header.Alg) {
		return fail(errUnsupportedKey())
	}
	if err := method.Verify(parts[0]+"."+parts[1], signature, cert.PublicKey); err != nil {
		return fail(errSignatureMismatch(thumbprint, cert))
	}

	if claims.Issuer != claims.Subject {
		return fail(errSubjectMismatchesIssuer())
	}
	if !strings.EqualFold(claims.Subject, app.ClientID) {
		return fail(errAssertionClientMismatch())
	}
	if !s.isTokenEndpoint(r, claims.Audience) {
		return fail(errAssertionAudience())
	}

	if e := s.checkAssertionTime(now, claims); e != nil {
		return e
	}

	if s.opts.RejectReplayedAssertions {
		return s.recordAssertion(now, app.ClientID, claims)
	}
	return nil
}

// checkAssertionTime checks that now lies in [nbf, exp) and, when
// Options.MaxAssertionLifetime is set, that the assertion is not valid for
// longer. A missing nbf counts as the Unix epoch and a missing exp as
// already expired, which is how Entra ID reports them.
func (s *Server) checkAssertionTime(now time.Time, claims assertionClaims) *tokenError {
	notBefore := numericDate(claims.NotBefore)
	expires := numericDate(claims.ExpiresAt)
	if !now.Before(expires) || now.Before(notBefore) {
		return fail(errAssertionTimeRange(now, notBefore, expires))
	}

	limit := s.opts.MaxAssertionLifetime
	if limit <= 0 {
		return nil
	}
	start := now
	switch {
	case claims.NotBefore != nil:
		start = notBefore
	case claims.IssuedAt != nil:
		start = numericDate(claims.IssuedAt)
	}
	if expires.Sub(start) > limit {
		return fail(errAssertionTooLong(now, start, expires, limit))
	}
	return nil
}

// recordAssertion rejects an assertion whose jti the app already used in an
// assertion that has not expired, and remembers this one until it expires.
func (s *Server) recordAssertion(now time.Time, clientID string, claims assertionClaims) *tokenError {
	if claims.ID == "" {
		return fail(errAssertionWithoutJTI())
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	// Forget assertions that expired: they fail the time check on their own.
	for id, expires := range s.usedAssertions {
		if !now.Before(expires) {
			delete(s.usedAssertions, id)
		}
	}

	id := assertionID{clientID: strings.ToLower(clientID), jti: claims.ID}
	if _, used := s.usedAssertions[id]; used {
		return fail(errAssertionAlreadyUsed(claims.ID))
	}
	s.usedAssertions[id] = numericDate(claims.ExpiresAt)
	return nil
}

// isTokenEndpoint reports whether aud names this tenant's token endpoint on
// the host the request was sent to: the v2.0 URL that Entra ID documents, or
// the v1.0 URL that ADAL clients put in their assertions. Like Entra ID's
// paths, the comparison ignores case. An assertion for another host fails,
// as Entra ID rejects an aud of sts.windows.net sent to
// login.microsoftonline.com.
//
// NOTE: that Entra ID's v2.0 endpoint accepts the v1.0 URL is not confirmed,
// and a tenant domain name in place of the tenant ID is not emulated.
func (s *Server) isTokenEndpoint(r *http.Request, aud string) bool {
	tenantURL := baseURL(r) + "/" + s.opts.TenantID + "/oauth2/"
	for _, path := range []string{"v2.0/token", "token"} {
		if strings.EqualFold(aud, tenantURL+path) {
			return true
		}
	}
	return false
}

// decodeSegment decodes a base64url JWT segment that holds a JSON object.
func decodeSegment(segment string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// numericDate converts a JWT NumericDate (RFC 7519 §2), seconds since the
// epoch that may have a fraction, to a time. A missing date is the epoch.
func numericDate(seconds *float64) time.Time {
	if seconds == nil {
		return time.Unix(0, 0)
	}
	whole, fraction := math.Modf(*seconds)
	return time.Unix(int64(whole), int64(fraction*1e9))
}

// fail returns a pointer to e, for the checks that return *tokenError.
func fail(e tokenError) *tokenError {
	return &e
}
