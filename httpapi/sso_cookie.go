package httpapi

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// flowCookieName is the cookie that carries a single sign-on in progress
// from /sso/login to /sso/callback.
const flowCookieName = "fieldlink_sso"

// flowLifetime bounds how long a user may take at the provider.
const flowLifetime = 10 * time.Minute

// flow holds the secrets of one sign-in in progress.
type flow struct {
	State    string
	Nonce    string
	Verifier string
	// Next is the page to return to, a path on this site.
	Next string
}

// setFlowCookie sends the flow as an HttpOnly, SameSite=Lax cookie, so the
// browser sends it along on the provider's top-level redirect back.
func setFlowCookie(w http.ResponseWriter, r *http.Request, f flow, secure bool) {
	value := strings.Join([]string{f.State, f.Nonce, f.Verifier, base64.RawURLEncoding.EncodeToString([]byte(f.Next))}, ".")
	http.SetCookie(w, &http.Cookie{
		Name:     flowCookieName,
		Value:    value,
		Path:     "/sso/",
		MaxAge:   int(flowLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// readFlowCookie returns the flow of the request's cookie, and reports
// whether it has a valid one.
func readFlowCookie(r *http.Request) (flow, bool) {
	cookie, err := r.Cookie(flowCookieName)
	if err != nil {
		return flow{}, false
	}
	parts := strings.Split(cookie.Value, ".")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return flow{}, false
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !isLocalPath(string(next)) {
		return flow{}, false
	}
	return flow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Next: string(next)}, true
}

// clearFlowCookie removes the flow cookie, so a sign-in's state and code
// verifier are used once.
func clearFlowCookie(w http.ResponseWriter, r *http.Request, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     flowCookieName,
		Value:    "",
		Path:     "/sso/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// isLocalPath reports whether next is a path on this site, so a redirect
// to it cannot leave the site: it starts with one slash, and has no scheme,
// host, backslash or control character.
func isLocalPath(next string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return false
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
