package auth

import (
	"strings"
	"time"
)

// API token scopes.
const (
	// ScopeReadOnly allows GET and HEAD requests only.
	ScopeReadOnly = "read-only"
	// ScopeAdmin allows every admin request.
	ScopeAdmin = "admin"
)

// TokenPrefix starts every API token, so it can be distinguished from the admin
// token and found by secret scanners.
const TokenPrefix = "flt_"

// Token is a stored API token. Only the SHA-256 of its secret is kept.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Scope      string    `json:"scope"`
	CreatedAt  time.Time `json:"createdAt"`
	CreatedBy  string    `json:"createdBy"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
	// Hash is the hex SHA-256 of the token.
	Hash string `json:"-"`
}

// ValidScope reports whether scope is ScopeReadOnly or ScopeAdmin.
func ValidScope(scope string) bool {
	return scope == ScopeReadOnly || scope == ScopeAdmin
}

// NewToken returns a new API token and its hex SHA-256.
func NewToken() (token, hash string, err error) {
	secret, _, err := newSecret()
	if err != nil {
		return "", "", err
	}
	token = TokenPrefix + secret
	return token, HashToken(token), nil
}

// HashToken returns the hex SHA-256 of an API token, as stored.
func HashToken(token string) string {
	return hashSecret(strings.TrimSpace(token))
}
