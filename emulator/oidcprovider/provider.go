package oidcprovider

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Options configures a Provider.
type Options struct {
	ClientID     string
	ClientSecret string

	// Email is the user that /authorize approves when the request has no
	// login_hint.
	Email string
	// Groups is the groups claim of every ID token.
	Groups []string

	// Misbehavior makes the provider send what a relying party must
	// reject. The zero value behaves.
	Misbehavior Misbehavior

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

// Misbehavior lists the faults a Provider can be asked to make.
type Misbehavior struct {
	// WrongIssuer names another issuer in discovery and ID tokens.
	WrongIssuer bool
	// WrongAudience issues ID tokens for another client.
	WrongAudience bool
	// ExtraAudience adds another client to the audience of ID tokens and
	// leaves out azp, which a relying party then requires.
	ExtraAudience bool
	// ExpiredToken issues ID tokens that expired an hour ago.
	ExpiredToken bool
	// BadNonce puts another nonce in ID tokens.
	BadNonce bool
	// UnverifiedEmail sets email_verified to false.
	UnverifiedEmail bool
}

// keyID is the kid of the provider's only signing key.
const keyID = "emulator-key-1"

// codeLifetime bounds how long an authorization code can be redeemed.
const codeLifetime = time.Minute

// Provider is a running OpenID provider on a loopback address.
type Provider struct {
	// URL is the issuer URL.
	URL string

	opts   Options
	key    *rsa.PrivateKey
	server *httptest.Server

	mu    sync.Mutex
	codes map[string]grant
}

// grant is an authorization code's request, kept until it is redeemed.
type grant struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	email       string
	expiresAt   time.Time
}

// Start starts a Provider on a loopback port. Stop it with Close.
func Start(opts Options) (*Provider, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}

	p := &Provider{opts: opts, key: key, codes: make(map[string]grant)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.server = httptest.NewServer(mux)
	p.URL = p.server.URL
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.server.Close() }

// SetMisbehavior replaces the faults the provider makes from now on.
func (p *Provider) SetMisbehavior(m Misbehavior) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts.Misbehavior = m
}

func (p *Provider) misbehavior() Misbehavior {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opts.Misbehavior
}

// issuer returns the issuer the provider names, which is wrong when asked.
func (p *Provider) issuer() string {
	if p.misbehavior().WrongIssuer {
		return p.URL + "/other"
	}
	return p.URL
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer(),
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	pub := p.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA",
		"kid": keyID,
		"use": "sig",
		"alg": "RS256",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // Since Go 1.24, crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(raw)
}
