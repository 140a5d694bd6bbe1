package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/oidc"
)

// SSOOptions configures single sign-on with an OpenID Connect provider.
type SSOOptions struct {
	// RelyingParty runs the sign-in at the provider.
	RelyingParty *oidc.RelyingParty

	// DisplayName names the provider on the login page's button. Defaults
	// to "single sign-on".
	DisplayName string

	// AllowedEmails are the email addresses that may sign in, compared
	// without case. An entry "@example.com" allows every address at that
	// domain. An empty list rejects every sign-in.
	AllowedEmails []string

	// AdminGroup, when set, is a value the ID token's groups claim must
	// contain as well.
	AdminGroup string

	// Sessions starts the fieldlink session of a signed-in user.
	Sessions *auth.Manager

	// Audit records each sign-in. Nil records nothing.
	Audit auth.AuditLog

	// SecureCookie sets the Secure attribute on the sign-in cookie, for a
	// server whose public URL is https.
	SecureCookie bool

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	Logger *slog.Logger
}

// SSO serves GET /sso/login, GET /sso/callback and GET /api/v1/sso. A
// server without single sign-on registers none of them, so they return 404.
type SSO struct {
	opts SSOOptions
	log  *slog.Logger
}

// NewSSO returns the single sign-on handler.
func NewSSO(opts SSOOptions) *SSO {
	if opts.DisplayName == "" {
		opts.DisplayName = "single sign-on"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &SSO{opts: opts, log: opts.Logger}
}

// Register adds the single sign-on routes to mux.
func (s *SSO) Register(mux *http.ServeMux) {
	s.register(mux.HandleFunc)
}

// Routes returns the ServeMux patterns that Register adds, in the order it
// adds them. None of them requires a session, since they sign the user in.
func (s *SSO) Routes() []string {
	var patterns []string
	s.register(func(pattern string, _ func(http.ResponseWriter, *http.Request)) { patterns = append(patterns, pattern) })
	return patterns
}

// register passes every route to handle, for Register and Routes alike.
func (s *SSO) register(handle func(pattern string, handler func(http.ResponseWriter, *http.Request))) {
	handle("GET /sso/login", s.login)
	handle("GET /sso/callback", s.callback)
	handle("GET /api/v1/sso", s.status)
}

// SSOStatus is the body of GET /api/v1/sso.
type SSOStatus struct {
	Enabled     bool   `json:"enabled"`
	DisplayName string `json:"displayName"`
	LoginURL    string `json:"loginUrl"`
	// Error is the message for the failure code in the request's "error"
	// parameter, which the callback puts on the login page's URL.
	Error string `json:"error,omitempty"`
}

func (s *SSO) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, SSOStatus{
		Enabled:     true,
		DisplayName: s.opts.DisplayName,
		LoginURL:    "/sso/login",
		Error:       ssoMessages[r.URL.Query().Get("error")],
	})
}

// login starts the sign-in: it keeps state, nonce, PKCE verifier and the
// page to return to in a short-lived cookie and redirects to the provider.
func (s *SSO) login(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !isLocalPath(next) {
		if next != "" {
			s.log.Warn("single sign-on: ignored a next page that is not a path on this site", "next", next)
		}
		next = "/"
	}

	start, err := s.opts.RelyingParty.Begin(r.Context())
	if err != nil {
		s.fail(w, r, codeOf(err), err, next)
		return
	}

	setFlowCookie(w, r, flow{State: start.State, Nonce: start.Nonce, Verifier: start.Verifier, Next: next}, s.opts.SecureCookie)
	http.Redirect(w, r, start.URL, http.StatusFound)
}

// callback finishes the sign-in: it checks the state, redeems the code,
// checks the user against the allow-list and starts a session.
func (s *SSO) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := readFlowCookie(r)
	clearFlowCookie(w, r, s.opts.SecureCookie)
	next := "/"
	if ok {
		next = f.Next
	}

	if providerErr := q.Get("error"); providerErr != "" {
		s.fail(w, r, "provider_error", errors.New("provider returned error "+providerErr), next)
		return
	}
	if !ok || q.Get("state") == "" || q.Get("state") != f.State {
		s.fail(w, r, "state_mismatch", errors.New("state parameter does not match the sign-in cookie, or the cookie is missing"), next)
		return
	}

	claims, err := s.opts.RelyingParty.Exchange(r.Context(), q.Get("code"), f.Verifier, f.Nonce)
	if err != nil {
		s.fail(w, r, codeOf(err), err, next)
		return
	}
	email := strings.ToLower(claims.Email)
	if !s.emailAllowed(email) {
		s.fail(w, r, "not_allowed", errors.New("email "+email+" is not on the allow-list"), next)
		return
	}
	if s.opts.AdminGroup != "" && !slices.Contains(claims.Groups, s.opts.AdminGroup) {
		s.fail(w, r, "not_in_group", errors.New("user "+email+" is not in group "+s.opts.AdminGroup), next)
		return
	}

	user, err := s.opts.Sessions.StartSession(r.Context(), w, r, email)
	if err != nil {
		s.fail(w, r, "session_failed", err, next)
		return
	}
	s.recordSignIn(r.Context(), user.Username)
	s.log.Info("signed in by single sign-on", "username", user.Username, "subject", claims.Subject, "clientIP", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *SSO) recordSignIn(ctx context.Context, username string) {
	if s.opts.Audit == nil {
		return
	}
	e := auth.AuditEntry{At: s.opts.Now(), Actor: username, Action: "session.create", Target: "sso", Detail: "signed in by single sign-on"}
	if err := s.opts.Audit.RecordAudit(ctx, e); err != nil {
		s.log.Error("record audit entry", "action", e.Action, "actor", username, "error", err)
	}
}

// emailAllowed reports whether a lowercase email is on the allow-list,
// by itself or by its domain.
func (s *SSO) emailAllowed(email string) bool {
	at := strings.LastIndex(email, "@")
	if at <= 0 {
		return false
	}
	domain := email[at:]
	for _, entry := range s.opts.AllowedEmails {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry != "" && (entry == email || entry == domain) {
			return true
		}
	}
	return false
}

// fail logs why a sign-in failed and sends the browser to the login page,
// which shows the message for code. The error never contains a token.
func (s *SSO) fail(w http.ResponseWriter, r *http.Request, code string, err error, next string) {
	s.log.Warn("single sign-on failed", "reason", code, "error", err, "clientIP", clientIP(r))

	values := url.Values{"sso_error": {code}}
	if next != "/" {
		values.Set("next", next)
	}
	http.Redirect(w, r, "/login?"+values.Encode(), http.StatusSeeOther)
}

// codeOf returns the failure code of an error from the relying party.
func codeOf(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{oidc.ErrIssuerMismatch, "issuer_mismatch"},
		{oidc.ErrDiscovery, "provider_unreachable"},
		{oidc.ErrTokenExchange, "token_exchange"},
		{oidc.ErrAudience, "wrong_audience"},
		{oidc.ErrExpired, "token_expired"},
		{oidc.ErrNonce, "nonce_mismatch"},
		{oidc.ErrEmailUnverified, "email_unverified"},
		{oidc.ErrInvalidToken, "invalid_token"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "provider_unreachable"
}

// ssoMessages are the login page's messages for each failure code.
var ssoMessages = map[string]string{
	"provider_unreachable": "The identity provider could not be reached or sent an invalid configuration: try again later, and if it persists ask the operator to check the OIDC issuer setting.",
	"issuer_mismatch":      "The identity provider names another issuer than the configured one: ask the operator to check the OIDC issuer setting.",
	"token_exchange":       "The identity provider rejected the sign-in code: sign in again, and if it persists ask the operator to check the OIDC client ID and secret.",
	"wrong_audience":       "The identity provider issued the ID token for another application: ask the operator to check the OIDC client ID.",
	"token_expired":        "The ID token has expired or is not yet valid: check the clock of this server and sign in again.",
	"nonce_mismatch":       "The ID token does not belong to this sign-in: sign in again.",
	"email_unverified":     "The identity provider has not verified your email address: verify it there, then sign in again.",
	"invalid_token":        "The identity provider sent an invalid ID token: sign in again, and if it persists ask the operator to check the provider.",
	"not_allowed":          "Your email address may not sign in to fieldlink: ask an admin to add it to the allowed emails.",
	"not_in_group":         "Your account is not in the group that may sign in to fieldlink: ask an admin to add you to it.",
	"state_mismatch":       "The sign-in does not match this browser, or took longer than 10 minutes: sign in again.",
	"provider_error":       "The identity provider did not sign you in: sign in again.",
	"session_failed":       "fieldlink could not start a session: try again, and if it persists tell the operator.",
}
