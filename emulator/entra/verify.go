package entra

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims VerifyToken returns from a valid access token.
type Claims struct {
	// AppID is the client ID of the application the token was issued to.
	AppID    string
	TenantID string
	// Roles lists the application permissions granted to the app.
	Roles     []string
	ExpiresAt time.Time
	Audience  string
}

// accessTokenClaims is the payload of an access token, with the claims of an
// Entra ID v2.0 app-only token. It carries both the v1.0 names (appid,
// appidacr) and the v2.0 names (azp, azpacr) of the client, because
// resources read one or the other.
type accessTokenClaims struct {
	jwt.RegisteredClaims

	// Aud replaces RegisteredClaims.Audience so the claim is a single string,
	// as Entra ID writes it, without changing jwt's package-wide setting.
	Aud string `json:"aud"`

	TenantID           string   `json:"tid"`
	AppID              string   `json:"appid"`
	AppIDACR           string   `json:"appidacr"`
	AuthorizedParty    string   `json:"azp"`
	AuthorizedPartyACR string   `json:"azpacr"`
	ObjectID           string   `json:"oid"`
	IdentityType       string   `json:"idtyp"`
	Roles              []string `json:"roles,omitempty"`
	Version            string   `json:"ver"`
}

// GetAudience returns the aud claim for jwt's audience validation.
func (c accessTokenClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Aud}, nil
}

// VerifyToken checks an access token this server issued: its RS256
// signature, its expiry against Options.Now, its audience against resource
// (a trailing slash is ignored) and its tenant. The error wraps the matching
// jwt error, such as jwt.ErrTokenExpired, jwt.ErrTokenInvalidAudience,
// jwt.ErrTokenSignatureInvalid or jwt.ErrTokenMalformed, so a resource
// emulator can report each with its own message.
func (s *Server) VerifyToken(raw string, resource string) (Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithAudience(strings.TrimSuffix(resource, "/")),
		jwt.WithTimeFunc(s.opts.Now),
		jwt.WithExpirationRequired(),
	)

	var claims accessTokenClaims
	_, err := parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		return &s.key.PublicKey, nil
	})
	if err != nil {
		return Claims{}, fmt.Errorf("verify access token for %s: %w", resource, err)
	}

	if !strings.EqualFold(claims.TenantID, s.opts.TenantID) {
		return Claims{}, fmt.Errorf("verify access token for %s: tenant %q is not %q: %w",
			resource, claims.TenantID, s.opts.TenantID, jwt.ErrTokenInvalidClaims)
	}

	return Claims{
		AppID:     claims.AppID,
		TenantID:  claims.TenantID,
		Roles:     claims.Roles,
		ExpiresAt: claims.ExpiresAt.Time,
		Audience:  claims.Aud,
	}, nil
}

// servicePrincipalID derives a stable object ID for the app's service
// principal from its client ID, in the form of a name-based (version 5) UUID.
func servicePrincipalID(clientID string) string {
	sum := sha1.Sum([]byte("service-principal:" + strings.ToLower(clientID)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
