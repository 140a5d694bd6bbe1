// Package oidcprovider is a small OpenID Connect provider for tests and the
// demo. It serves discovery, a JWKS, an authorization endpoint that
// approves a configured user at once, and a token endpoint that checks the
// code, the PKCE verifier and the client secret. Options make it misbehave
// in the ways a relying party must reject.
package oidcprovider
