package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
	"github.com/fieldlink/fieldlink/oidc"
)

const (
	clientID     = "fieldlink"
	clientSecret = "emulator-client-secret"
	redirectURL  = "http://127.0.0.1:1/sso/callback"
)

func startProvider(t *testing.T, m oidcprovider.Misbehavior) *oidcprovider.Provider {
	t.Helper()
	p, err := oidcprovider.Start(oidcprovider.Options{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Email:        "ana@example.com",
		Groups:       []string{"fieldlink-admins"},
		Misbehavior:  m,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func newRelyingParty(t *testing.T, issuer, secret string) *oidc.RelyingParty {
	t.Helper()
	rp, err := oidc.New(oidc.Config{Issuer: issuer, ClientID: clientID, ClientSecret: secret, RedirectURL: redirectURL})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// authorize follows the authorization URL to the provider and returns the
// code and state it redirects back with.
func authorize(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return location.Query().Get("code"), location.Query().Get("state")
}

func TestRelyingPartySignIn(t *testing.T) {
	p := startProvider(t, oidcprovider.Misbehavior{})
	rp := newRelyingParty(t, p.URL, clientSecret)

	start, err := rp.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	query := mustQuery(t, start.URL)
	for name, want := range map[string]string{"state": start.State, "nonce": start.Nonce, "code_challenge_method": "S256", "client_id": clientID, "redirect_uri": redirectURL} {
		if got := query.Get(name); got != want {
			t.Errorf("authorization URL %s = %q, want %q", name, got, want)
		}
	}

	code, state := authorize(t, start.URL)
	if state != start.State {
		t.Errorf("state after authorize = %q, want %q", state, start.State)
	}
	claims, err := rp.Exchange(context.Background(), code, start.Verifier, start.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	want := oidc.Claims{Subject: "user-ana@example.com", Email: "ana@example.com", Groups: []string{"fieldlink-admins"}}
	if diff := cmp.Diff(claims, want); diff != "" {
		t.Errorf("claims (-got +want):\n%s", diff)
	}
}

func TestRelyingPartyRejects(t *testing.T) {
	tests := []struct {
		name        string
		misbehavior oidcprovider.Misbehavior
		secret      string
		verifier    string
		want        error
	}{
		{name: "wrong issuer", misbehavior: oidcprovider.Misbehavior{WrongIssuer: true}, want: oidc.ErrIssuerMismatch},
		{name: "wrong audience", misbehavior: oidcprovider.Misbehavior{WrongAudience: true}, want: oidc.ErrAudience},
		{name: "several audiences without azp", misbehavior: oidcprovider.Misbehavior{ExtraAudience: true}, want: oidc.ErrAudience},
		{name: "expired token", misbehavior: oidcprovider.Misbehavior{ExpiredToken: true}, want: oidc.ErrExpired},
		{name: "bad nonce", misbehavior: oidcprovider.Misbehavior{BadNonce: true}, want: oidc.ErrNonce},
		{name: "unverified email", misbehavior: oidcprovider.Misbehavior{UnverifiedEmail: true}, want: oidc.ErrEmailUnverified},
		{name: "wrong client secret", secret: "not-the-secret", want: oidc.ErrTokenExchange},
		{name: "wrong PKCE verifier", verifier: "another-verifier-that-is-at-least-43-characters-long", want: oidc.ErrTokenExchange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProvider(t, oidcprovider.Misbehavior{})
			secret := clientSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			rp := newRelyingParty(t, p.URL, secret)

			start, err := rp.Begin(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			code, _ := authorize(t, start.URL)
			verifier := start.Verifier
			if tt.verifier != "" {
				verifier = tt.verifier
			}
			p.SetMisbehavior(tt.misbehavior)

			_, err = rp.Exchange(context.Background(), code, verifier, start.Nonce)
			if !errors.Is(err, tt.want) {
				t.Errorf("Exchange error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	p := startProvider(t, oidcprovider.Misbehavior{WrongIssuer: true})
	rp := newRelyingParty(t, p.URL, clientSecret)

	_, err := rp.Begin(context.Background())
	if !errors.Is(err, oidc.ErrIssuerMismatch) {
		t.Errorf("Begin error = %v, want %v", err, oidc.ErrIssuerMismatch)
	}
}

func TestDiscoveryUnreachable(t *testing.T) {
	p := startProvider(t, oidcprovider.Misbehavior{})
	issuer := p.URL
	p.Close()
	rp := newRelyingParty(t, issuer, clientSecret)

	_, err := rp.Begin(context.Background())
	if !errors.Is(err, oidc.ErrDiscovery) {
		t.Errorf("Begin error = %v, want %v", err, oidc.ErrDiscovery)
	}
}

func TestNewInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  oidc.Config
	}{
		{name: "issuer not a URL", cfg: oidc.Config{Issuer: "login.example.com", ClientID: clientID, RedirectURL: redirectURL}},
		{name: "client ID missing", cfg: oidc.Config{Issuer: "https://login.example.com", RedirectURL: redirectURL}},
		{name: "redirect URL missing", cfg: oidc.Config{Issuer: "https://login.example.com", ClientID: clientID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oidc.New(tt.cfg); err == nil {
				t.Errorf("New(%+v) returned no error", tt.cfg)
			}
		})
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
