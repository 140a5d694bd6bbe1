package oidcprovider

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// authorize approves the request at once for login_hint or the configured
// email and redirects back with a code (OpenID Connect Core 1.0, section
// 3.1.2). Only the S256 PKCE method is accepted.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirectURI := q.Get("redirect_uri")
	target, err := url.Parse(redirectURI)
	if err != nil || redirectURI == "" {
		http.Error(w, "redirect_uri is missing or invalid", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != p.opts.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "response_type must be code, with an S256 code_challenge", http.StatusBadRequest)
		return
	}

	email := q.Get("login_hint")
	if email == "" {
		email = p.opts.Email
	}
	code := randomString()
	p.mu.Lock()
	p.codes[code] = grant{
		clientID:    p.opts.ClientID,
		redirectURI: redirectURI,
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		email:       email,
		expiresAt:   p.opts.Now().Add(codeLifetime),
	}
	p.mu.Unlock()

	values := target.Query()
	values.Set("code", code)
	values.Set("state", q.Get("state"))
	target.RawQuery = values.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// token redeems a code once, checking the client secret (basic or post),
// the redirect URI and the PKCE verifier (RFC 7636, section 4.6).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	clientID, secret, ok := r.BasicAuth()
	if ok {
		clientID, _ = url.QueryUnescape(clientID)
		secret, _ = url.QueryUnescape(secret)
	} else {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if clientID != p.opts.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.opts.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}

	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()

	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	if !found || p.opts.Now().After(g.expiresAt) || g.redirectURI != r.PostForm.Get("redirect_uri") || challenge != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}

	idToken, err := p.idToken(g)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomString(),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     idToken,
	})
}

// idToken signs the ID token of a grant, with the faults asked for.
func (p *Provider) idToken(g grant) (string, error) {
	m := p.misbehavior()
	now := p.opts.Now()
	claims := jwt.MapClaims{
		"iss":            p.issuer(),
		"sub":            "user-" + g.email,
		"aud":            g.clientID,
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
		"nonce":          g.nonce,
		"email":          g.email,
		"email_verified": !m.UnverifiedEmail,
	}
	if len(p.opts.Groups) > 0 {
		claims["groups"] = p.opts.Groups
	}
	if m.WrongAudience {
		claims["aud"] = "another-client"
	}
	if m.ExtraAudience {
		claims["aud"] = []string{g.clientID, "another-client"}
	}
	if m.ExpiredToken {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	if m.BadNonce {
		claims["nonce"] = "another-nonce"
	}

	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = keyID
	return token.SignedString(p.key)
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
