package credential

import (
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink"
)

// TokenClaims are the claims of a JWT access token that explain what the
// token may do, read without verifying the signature. Only the API that
// receives the token verifies it, so the claims serve to explain a failure,
// never to grant anything.
type TokenClaims struct {
	// Audience is the aud claim: the API the token is for, such as
	// https://graph.microsoft.com.
	Audience []string
	// Roles are the application permissions granted to the app (Entra ID's
	// roles claim).
	Roles []string
	// Scopes are the delegated permissions of the scp claim, which an
	// app-only token does not have.
	Scopes []string
	// AppID is the client the token was issued to: Entra ID's appid (v1.0
	// tokens) or azp (v2.0 tokens).
	AppID string
	// TenantID is Entra ID's tid claim.
	TenantID string
}

// decodeTokenClaims returns the claims of accessToken when it is a JWT, or
// nil for an opaque token. It keeps none of the token itself.
func decodeTokenClaims(accessToken string) *TokenClaims {
	var claims struct {
		jwt.RegisteredClaims
		Roles []string `json:"roles"`
		Scope string   `json:"scp"`
		AppID string   `json:"appid"`
		AZP   string   `json:"azp"`
		TID   string   `json:"tid"`
	}
	if _, _, err := jwt.NewParser().ParseUnverified(accessToken, &claims); err != nil {
		return nil
	}

	decoded := &TokenClaims{
		Audience: claims.Audience,
		Roles:    claims.Roles,
		AppID:    claims.AppID,
		TenantID: claims.TID,
	}
	if claims.Scope != "" {
		decoded.Scopes = strings.Fields(claims.Scope)
	}
	if decoded.AppID == "" {
		decoded.AppID = claims.AZP
	}
	return decoded
}

// Details returns the token description that Test connection shows.
func (i TokenInfo) Details() fieldlink.TokenDetails {
	details := fieldlink.TokenDetails{Type: i.Type, ExpiresAt: i.Expiry}
	if i.Claims != nil {
		details.Audience = i.Claims.Audience
		details.Roles = i.Claims.Roles
		details.Scopes = i.Claims.Scopes
		details.AppID = i.Claims.AppID
		details.TenantID = i.Claims.TenantID
	}
	return details
}

// Microsoft Graph's audience values: its URI and its application ID.
var graphAudiences = map[string]bool{
	"https://graph.microsoft.com":          true,
	"https://graph.microsoft.com/":         true,
	"00000003-0000-0000-c000-000000000000": true,
}

// IsGraphAppOnlyWithoutRoles reports whether c is an app-only token for
// Microsoft Graph (no scp claim) without a roles claim. Graph rejects every
// request of such a token with 403, because the app has no application
// permission or an admin has not consented to it.
func (c *TokenClaims) IsGraphAppOnlyWithoutRoles() bool {
	if c == nil || len(c.Roles) > 0 || len(c.Scopes) > 0 {
		return false
	}
	for _, aud := range c.Audience {
		if graphAudiences[strings.ToLower(aud)] {
			return true
		}
	}
	return false
}
