package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/fieldlink/fieldlink/outbound"
)

// Config configures a RelyingParty.
type Config struct {
	// Issuer is the provider's issuer URL, for example
	// "https://login.example.com/realm". Discovery reads
	// <Issuer>/.well-known/openid-configuration.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the URL the provider sends the browser back to with
	// the code, for example "https://fieldlink.example.com/sso/callback".
	RedirectURL string

	// Scopes are requested with "openid". Defaults to email, profile and
	// groups.
	Scopes []string

	// HTTPClient sends every request to the provider. Defaults to
	// http.DefaultClient.
	HTTPClient *http.Client

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

// RelyingParty starts sign-ins at the provider and verifies their result.
// It reads the discovery document on first use and keeps it, so a provider
// that is down at start-up does not keep the server from starting.
type RelyingParty struct {
	cfg Config

	mu   sync.Mutex
	meta *Metadata
	keys map[string]*rsa.PublicKey
}

// New checks cfg and returns a RelyingParty. It sends no request.
func New(cfg Config) (*RelyingParty, error) {
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil || (issuer.Scheme != "https" && issuer.Scheme != "http") || issuer.Host == "" {
		return nil, fmt.Errorf("OIDC issuer %q is not an http or https URL: set it to the provider's issuer, as its discovery document names it", cfg.Issuer)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("OIDC client ID is missing: set the client ID registered at the provider")
	}
	if cfg.RedirectURL == "" {
		return nil, errors.New("OIDC redirect URL is missing: set the public URL of fieldlink")
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"email", "profile", "groups"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &RelyingParty{cfg: cfg}, nil
}

// Issuer returns the configured issuer URL.
func (rp *RelyingParty) Issuer() string { return rp.cfg.Issuer }

// Start holds the secrets of one sign-in, which the caller keeps in
// short-lived cookies until the callback.
type Start struct {
	// URL is the provider's authorization URL to redirect the browser to.
	URL      string
	State    string
	Nonce    string
	Verifier string
}

// Begin reads the discovery document when needed and returns the
// authorization URL with a new state, nonce and PKCE S256 challenge.
func (rp *RelyingParty) Begin(ctx context.Context) (Start, error) {
	meta, err := rp.metadata(ctx)
	if err != nil {
		return Start{}, err
	}

	s := Start{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
	s.URL = rp.oauth(meta).AuthCodeURL(s.State, oauth2.S256ChallengeOption(s.Verifier), oauth2.SetAuthURLParam("nonce", s.Nonce))
	return s, nil
}

// Exchange redeems the code at the token endpoint with the PKCE verifier
// and returns the verified claims of the ID token, whose nonce must equal
// nonce.
func (rp *RelyingParty) Exchange(ctx context.Context, code, verifier, nonce string) (Claims, error) {
	meta, err := rp.metadata(ctx)
	if err != nil {
		return Claims{}, err
	}

	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.cfg.HTTPClient)
	token, err := rp.oauth(meta).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		// The oauth2 package's error quotes the response body, and a token
		// endpoint may echo the client's credentials in it, so the error
		// keeps only its redacted text.
		return Claims{}, fmt.Errorf("%w: redeem code at %s: %s", ErrTokenExchange, meta.TokenEndpoint, outbound.Redact(err.Error(), rp.cfg.ClientSecret))
	}
	rawIDToken, _ := token.Extra("id_token").(string)
	if rawIDToken == "" {
		return Claims{}, fmt.Errorf("%w: response of %s has no id_token", ErrTokenExchange, meta.TokenEndpoint)
	}

	return rp.verify(ctx, meta, rawIDToken, nonce)
}

func (rp *RelyingParty) oauth(meta Metadata) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     rp.cfg.ClientID,
		ClientSecret: rp.cfg.ClientSecret,
		RedirectURL:  rp.cfg.RedirectURL,
		Scopes:       append([]string{"openid"}, rp.cfg.Scopes...),
		Endpoint:     oauth2.Endpoint{AuthURL: meta.AuthorizationEndpoint, TokenURL: meta.TokenEndpoint},
	}
}

// metadata returns the discovery document, reading it on first use and
// again after a failure.
// NOTE: a successful read is kept until restart, so changed provider
// endpoints need a restart of fieldlink.
func (rp *RelyingParty) metadata(ctx context.Context) (Metadata, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.meta != nil {
		return *rp.meta, nil
	}

	meta, err := discover(ctx, rp.cfg.HTTPClient, rp.cfg.Issuer)
	if err != nil {
		return Metadata{}, err
	}
	rp.meta = &meta
	return meta, nil
}

// key returns the signing key with the key ID, reading the JWKS again when
// the ID is unknown, so a key rotation at the provider needs no restart.
func (rp *RelyingParty) key(ctx context.Context, meta Metadata, keyID string) (*rsa.PublicKey, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if k, ok := rp.keys[keyID]; ok {
		return k, nil
	}

	keys, err := fetchKeys(ctx, rp.cfg.HTTPClient, meta.JWKSURI)
	if err != nil {
		return nil, err
	}
	rp.keys = keys
	if k, ok := keys[keyID]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: no RSA signing key with key ID %q in %s", ErrInvalidToken, keyID, meta.JWKSURI)
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // Since Go 1.24, crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(raw)
}
