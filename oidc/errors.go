package oidc

import "errors"

// Errors returned by Begin and Exchange, wrapped with the detail. A caller
// branches on them with errors.Is to choose the message shown to the user.
var (
	// ErrDiscovery means the provider's discovery document or JWKS could
	// not be read or is invalid.
	ErrDiscovery = errors.New("provider discovery failed")
	// ErrIssuerMismatch means the discovery document or the ID token names
	// another issuer than the configured one.
	ErrIssuerMismatch = errors.New("issuer does not match")
	// ErrTokenExchange means the token endpoint rejected the code or sent
	// no ID token.
	ErrTokenExchange = errors.New("token exchange failed")
	// ErrInvalidToken means the ID token is malformed or its signature is
	// not valid for the provider's keys.
	ErrInvalidToken = errors.New("ID token is invalid")
	// ErrAudience means the ID token was issued for another client.
	ErrAudience = errors.New("ID token audience does not match")
	// ErrExpired means the ID token has expired or was issued in the future.
	ErrExpired = errors.New("ID token has expired")
	// ErrNonce means the ID token's nonce is not the one of this sign-in.
	ErrNonce = errors.New("ID token nonce does not match")
	// ErrEmailUnverified means the ID token has no email or the provider
	// has not verified it.
	ErrEmailUnverified = errors.New("email is missing or not verified")
)
