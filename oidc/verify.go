package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clockSkew is the leeway allowed on exp and iat for clocks that differ
// between the provider and this server.
const clockSkew = time.Minute

// Claims are the verified claims of an ID token that fieldlink uses.
type Claims struct {
	Subject string
	Email   string
	Name    string
	Groups  []string
}

// idTokenClaims are the ID token claims of OpenID Connect Core 1.0,
// section 2, with the email and groups claims.
type idTokenClaims struct {
	jwt.RegisteredClaims
	Nonce           string   `json:"nonce"`
	AuthorizedParty string   `json:"azp"`
	Email           string   `json:"email"`
	EmailVerified   any      `json:"email_verified"`
	Name            string   `json:"name"`
	Groups          []string `json:"groups"`
}

// verify checks the ID token's RS256 signature against the provider's JWKS
// and its iss, aud, azp, exp, iat and nonce claims, as OpenID Connect Core
// 1.0, section 3.1.3.7 lists them.
func (rp *RelyingParty) verify(ctx context.Context, meta Metadata, raw, nonce string) (Claims, error) {
	var claims idTokenClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		keyID, _ := t.Header["kid"].(string)
		return rp.key(ctx, meta, keyID)
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(rp.cfg.Issuer),
		jwt.WithAudience(rp.cfg.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(rp.cfg.Now),
	)
	switch {
	case err == nil:
	case errors.Is(err, ErrDiscovery):
		return Claims{}, err
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return Claims{}, fmt.Errorf("%w: ID token issuer %q, configured %q", ErrIssuerMismatch, claims.Issuer, rp.cfg.Issuer)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return Claims{}, fmt.Errorf("%w: ID token audience %q, client ID %q", ErrAudience, []string(claims.Audience), rp.cfg.ClientID)
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Claims{}, fmt.Errorf("%w: %w", ErrExpired, err)
	default:
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}

	// The azp claim must name this client when it is present, and must be
	// present when the token has several audiences.
	if (len(claims.Audience) > 1 || claims.AuthorizedParty != "") && claims.AuthorizedParty != rp.cfg.ClientID {
		return Claims{}, fmt.Errorf("%w: azp %q with audience %q, client ID %q", ErrAudience, claims.AuthorizedParty, []string(claims.Audience), rp.cfg.ClientID)
	}
	if claims.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: iat claim is missing", ErrInvalidToken)
	}
	if subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 || nonce == "" {
		return Claims{}, ErrNonce
	}
	if claims.Email == "" || !isTrue(claims.EmailVerified) {
		return Claims{}, fmt.Errorf("%w: email %q, email_verified %v", ErrEmailUnverified, claims.Email, claims.EmailVerified)
	}

	return Claims{Subject: claims.Subject, Email: claims.Email, Name: claims.Name, Groups: slices.Clone(claims.Groups)}, nil
}

// isTrue reports whether an email_verified claim is true. Some providers
// send it as the string "true".
func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
