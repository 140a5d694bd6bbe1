package oidcprovider_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
)

const (
	clientID     = "fieldlink"
	clientSecret = "emulator-client-secret"
	redirectURI  = "http://127.0.0.1:1/sso/callback"
	verifier     = "a-pkce-code-verifier-of-at-least-43-characters-0123456789"
)

// authorize runs /authorize for the verifier and returns the code.
func authorize(t *testing.T, p *oidcprovider.Provider) string {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	query := url.Values{
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"response_type":         {"code"},
		"scope":                 {"openid email"},
		"state":                 {"state-1"},
		"nonce":                 {"nonce-1"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.URL + "/authorize?" + query.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	location, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: status %d, no redirect: %v", resp.StatusCode, err)
	}
	if location.Query().Get("state") != "state-1" {
		t.Errorf("redirect state = %q, want state-1", location.Query().Get("state"))
	}
	return location.Query().Get("code")
}

// redeem posts the code to /token and returns the status and the error
// code or ID token.
func redeem(t *testing.T, p *oidcprovider.Provider, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	if !basic {
		form.Set("client_id", clientID)
		form.Set("client_secret", clientSecret)
	}
	req, err := http.NewRequest(http.MethodPost, p.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(clientID, clientSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func start(t *testing.T) *oidcprovider.Provider {
	t.Helper()
	p, err := oidcprovider.Start(oidcprovider.Options{ClientID: clientID, ClientSecret: clientSecret, Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func codeForm(code, codeVerifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {codeVerifier}}
}

func TestTokenClientAuthentication(t *testing.T) {
	for _, basic := range []bool{true, false} {
		p := start(t)
		status, body := redeem(t, p, codeForm(authorize(t, p), verifier), basic)
		if status != http.StatusOK || body["id_token"] == nil {
			t.Errorf("basic=%v: status %d, body %v, want 200 with an id_token", basic, status, body)
		}
	}
}

func TestTokenCodeUsedOnce(t *testing.T) {
	p := start(t)
	code := authorize(t, p)

	if status, _ := redeem(t, p, codeForm(code, verifier), true); status != http.StatusOK {
		t.Fatalf("first redemption: status %d, want 200", status)
	}
	status, body := redeem(t, p, codeForm(code, verifier), true)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("second redemption: status %d, body %v, want 400 invalid_grant", status, body)
	}
}

func TestTokenWrongVerifier(t *testing.T) {
	p := start(t)

	status, body := redeem(t, p, codeForm(authorize(t, p), verifier+"x"), true)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("status %d, body %v, want 400 invalid_grant", status, body)
	}
}

func TestTokenWrongSecret(t *testing.T) {
	p := start(t)
	form := codeForm(authorize(t, p), verifier)
	form.Set("client_id", clientID)
	form.Set("client_secret", "not-the-secret")

	req, _ := http.NewRequest(http.MethodPost, p.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}
