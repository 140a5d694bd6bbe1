package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// TokenStore keeps the API tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t *auth.Token) error
	ListTokens(ctx context.Context) ([]auth.Token, error)
	// FindTokenByHash returns the token with the hex SHA-256 hash, or an
	// ENotFound error.
	FindTokenByHash(ctx context.Context, hash string) (auth.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
	// DeleteToken revokes a token by ID or name and returns it.
	DeleteToken(ctx context.Context, idOrName string) (auth.Token, error)
}

// principal is who made a request: the admin token, an API token or a
// signed-in admin.
type principal struct {
	// actor names the principal in the audit log: "admin-token", "token:"
	// and the token's name, or the admin's username.
	actor string
	scope string
	// cookie reports whether the request was signed in with the session
	// cookie, so it needs the cross-origin check.
	cookie bool
}

type principalKey struct{}

// actorOf returns the audit actor of an authenticated request.
func actorOf(r *http.Request) string {
	p, _ := r.Context().Value(principalKey{}).(principal)
	return p.actor
}

// tokenTouchInterval limits how often a token's last use is written.
const tokenTouchInterval = time.Minute

// requireAdmin lets a request through with the admin bearer token, an API
// token whose scope allows the method, or a session cookie. Cookie requests
// that change state must come from the same origin. Successful changes are
// written to the audit log.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fieldlink"`)
			s.writeError(w, r, fieldlink.Errorf(fieldlink.EUnauthorized,
				"missing or invalid admin token or session: sign in, or send \"Authorization: Bearer <token>\" with an API token, FIELDLINK_ADMIN_TOKEN or the token fieldlink showed on its first start"))
			return
		}

		safe := r.Method == http.MethodGet || r.Method == http.MethodHead
		if p.cookie && !safe {
			if err := s.crossOrigin.Check(r); err != nil {
				writeForbidden(w, "cross-origin request rejected: call the API from fieldlink's own pages, or with a bearer token")
				return
			}
		}
		if p.scope == auth.ScopeReadOnly && !safe {
			writeForbidden(w, "this API token is read-only: it may send GET and HEAD requests only; create a token with the admin scope to make changes")
			return
		}

		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if safe {
			next.ServeHTTP(w, r)
			return
		}
		before := s.auditSnapshot(r)
		rec := newStatusRecorder(w, keepsResponse(r.Pattern))
		next.ServeHTTP(rec, r)
		s.recordChange(r, rec, before)
	})
}

// authenticate finds the principal of a request from its bearer token or
// its session cookie.
func (s *Server) authenticate(r *http.Request) (principal, bool) {
	header := r.Header.Get("Authorization")
	if header != "" {
		token, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return principal{}, false
		}
		return s.authenticateToken(r, strings.TrimSpace(token))
	}

	if s.opts.Sessions == nil {
		return principal{}, false
	}
	user, ok := s.opts.Sessions.UserFromRequest(r)
	if !ok {
		return principal{}, false
	}
	return principal{actor: user.Username, scope: auth.ScopeAdmin, cookie: true}, true
}

func (s *Server) authenticateToken(r *http.Request, token string) (principal, bool) {
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], s.opts.AdminTokenHash[:]) == 1 {
		return principal{actor: auth.ActorAdminToken, scope: auth.ScopeAdmin}, true
	}
	if s.opts.Tokens == nil || !strings.HasPrefix(token, auth.TokenPrefix) {
		return principal{}, false
	}

	// The lookup is by hash, so the stored hashes need no constant-time
	// comparison: a timing difference reveals nothing about a token.
	t, err := s.opts.Tokens.FindTokenByHash(r.Context(), auth.HashToken(token))
	if err != nil {
		if fieldlink.ErrorCode(err) != fieldlink.ENotFound {
			s.log.Error("find API token", "error", err)
		}
		return principal{}, false
	}

	now := s.now()
	if now.Sub(t.LastUsedAt) >= tokenTouchInterval {
		if err := s.opts.Tokens.TouchToken(r.Context(), t.ID, now); err != nil {
			s.log.Error("update API token last use", "token", t.Name, "error", err)
		}
	}
	return principal{actor: "token:" + t.Name, scope: t.Scope}, true
}

// clientIP returns the address of the peer. NOTE: a reverse proxy in front
// of fieldlink makes every request come from the proxy, so sign-in limits
// per address then count all clients together.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeForbidden(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusForbidden, ErrorBody{Error: ErrorDetail{Code: "forbidden", Message: message}})
}
