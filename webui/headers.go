package webui

import "net/http"

// ContentSecurityPolicy is the policy every page and asset is served with.
// It allows scripts, styles and fetches from this origin only, so data the
// API returns cannot run as script even if a page mishandled it.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// withSecurityHeaders sets the Content-Security-Policy and the headers that
// stop content sniffing and keep page addresses out of Referer headers.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		header.Set("Content-Security-Policy", ContentSecurityPolicy)
		header.Set("X-Content-Type-Options", "nosniff")
		header.Set("Referrer-Policy", "same-origin")
		header.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
