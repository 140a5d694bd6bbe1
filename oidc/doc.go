// Package oidc signs users in with an OpenID Connect provider: the
// authorization code flow with PKCE (RFC 7636), discovery (OpenID Connect
// Discovery 1.0), and ID token verification against the provider's JWKS
// (OpenID Connect Core 1.0, section 3.1.3.7).
package oidc
