package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/fieldlink/fieldlink"
)

// CookieName is the name of the session cookie.
const CookieName = "fieldlink_session"

// Session lifetimes: a session ends after IdleTimeout without a request, and
// after MaxAge in any case.
const (
	DefaultIdleTimeout = 12 * time.Hour
	DefaultMaxAge      = 7 * 24 * time.Hour
)

// touchInterval limits how often a session's last use is written.
const touchInterval = time.Minute

// ErrBadLogin is returned by Login for an unknown username or a wrong
// password alike, so a client cannot tell which usernames exist.
var ErrBadLogin = fieldlink.Errorf(fieldlink.EUnauthorized, "wrong username or password: check both and try again")

// RateLimitError is returned by Login when the username or the client
// address failed too often.
type RateLimitError struct {
	RetryAfter time.Duration
}

// Error returns a message with the time to wait before the next try.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %s", e.RetryAfter.Round(time.Second))
}

// User is a signed-in admin.
type User struct {
	Username string
	// ExpiresAt is when the session ends unless it is used before: the
	// idle timeout from its last use, or its absolute end if that is sooner.
	ExpiresAt time.Time
}

// Options configures a Manager.
type Options struct {
	Store Store

	// IdleTimeout ends a session that has not been used for this long.
	// Defaults to DefaultIdleTimeout (12 hours).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in. Defaults to
	// DefaultMaxAge (7 days).
	MaxAge time.Duration

	// SecureCookie sets the Secure attribute on every session cookie, for
	// a server whose public URL is https. Requests that come over TLS get
	// it anyway.
	SecureCookie bool

	// Limiter counts failed sign-ins. Defaults to 5 failures per 15
	// minutes per username and per client IP.
	Limiter *Limiter

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	Logger *slog.Logger
}

// Manager signs admins in and out and finds the admin of a request.
type Manager struct {
	opts Options
	log  *slog.Logger
}

// NewManager returns a Manager.
func NewManager(opts Options) *Manager {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limiter == nil {
		opts.Limiter = &Limiter{Now: opts.Now}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{opts: opts, log: opts.Logger}
}

// Login checks a username and password and creates a session. It returns
// the session ID for the cookie, ErrBadLogin, or a *RateLimitError.
func (m *Manager) Login(ctx context.Context, username, password, clientIP string) (string, User, error) {
	userKey, ipKey := "user:"+username, "ip:"+clientIP
	wait := max(m.opts.Limiter.RetryAfter(userKey), m.opts.Limiter.RetryAfter(ipKey))
	if wait > 0 {
		m.log.Warn("sign-in rejected: too many failures", "username", username, "clientIP", clientIP)
		return "", User{}, &RateLimitError{RetryAfter: wait}
	}

	ok, err := m.checkPassword(ctx, username, password)
	if err != nil {
		return "", User{}, err
	}
	if !ok {
		m.opts.Limiter.Fail(userKey)
		m.opts.Limiter.Fail(ipKey)
		m.log.Warn("sign-in failed", "username", username, "clientIP", clientIP)
		return "", User{}, ErrBadLogin
	}
	m.opts.Limiter.Reset(userKey)

	id, idHash, err := newSecret()
	if err != nil {
		return "", User{}, err
	}
	now := m.opts.Now()
	s := Session{IDHash: idHash, Username: username, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.opts.MaxAge)}
	if err := m.opts.Store.CreateSession(ctx, s); err != nil {
		return "", User{}, fmt.Errorf("create session for %s: %w", username, err)
	}

	m.log.Info("signed in", "username", username, "clientIP", clientIP)
	return id, m.user(s), nil
}

// checkPassword verifies the password, against a dummy hash when the
// username is unknown, so both cases take the same time.
func (m *Manager) checkPassword(ctx context.Context, username, password string) (bool, error) {
	admin, err := m.opts.Store.GetAdmin(ctx, username)
	known := err == nil
	if err != nil && fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		return false, fmt.Errorf("read admin %s: %w", username, err)
	}
	if !known {
		admin.PasswordHash = dummyHash()
	}

	ok, err := VerifyPassword(admin.PasswordHash, password)
	if err != nil {
		return false, fmt.Errorf("check password of %s: %w", username, err)
	}
	return ok && known, nil
}

// UserFromRequest returns the admin signed in with the request's session
// cookie, and reports whether there is one. It extends the idle timeout.
func (m *Manager) UserFromRequest(r *http.Request) (User, bool) {
	cookie, err := r.Cookie(CookieName)
	if err != nil || cookie.Value == "" {
		return User{}, false
	}
	idHash := hashSecret(cookie.Value)

	s, err := m.opts.Store.GetSession(r.Context(), idHash)
	if err != nil {
		if fieldlink.ErrorCode(err) != fieldlink.ENotFound {
			m.log.Error("read session", "error", err)
		}
		return User{}, false
	}

	now := m.opts.Now()
	if !now.Before(s.ExpiresAt) || !now.Before(s.LastSeenAt.Add(m.opts.IdleTimeout)) {
		if err := m.opts.Store.DeleteSession(r.Context(), idHash); err != nil {
			m.log.Error("delete expired session", "username", s.Username, "error", err)
		}
		return User{}, false
	}

	if now.Sub(s.LastSeenAt) >= touchInterval {
		if err := m.opts.Store.TouchSession(r.Context(), idHash, now); err != nil {
			m.log.Error("update session last use", "username", s.Username, "error", err)
		}
		s.LastSeenAt = now
	}
	return m.user(s), true
}

func (m *Manager) user(s Session) User {
	return User{Username: s.Username, ExpiresAt: minTime(s.ExpiresAt, s.LastSeenAt.Add(m.opts.IdleTimeout))}
}

// Logout deletes the request's session, if any, and clears the cookie.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	m.clearCookie(w, r)
	cookie, err := r.Cookie(CookieName)
	if err != nil || cookie.Value == "" {
		return nil
	}
	if err := m.opts.Store.DeleteSession(r.Context(), hashSecret(cookie.Value)); err != nil && fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// SetCookie sends the session cookie for a session ID from Login. The
// cookie lives as long as the session can; the idle timeout is enforced on
// the server.
func (m *Manager) SetCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    id,
		Path:     "/",
		MaxAge:   int(m.opts.MaxAge.Seconds()),
		HttpOnly: true,
		Secure:   m.opts.SecureCookie || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

func (m *Manager) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   m.opts.SecureCookie || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// newSecret returns 32 random bytes, base64url-encoded, and their hex
// SHA-256.
func newSecret() (string, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("read random bytes: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	return secret, hashSecret(secret), nil
}

// hashSecret returns the hex SHA-256 of a session ID or API token.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// IsRateLimited reports whether err is a *RateLimitError and returns it.
func IsRateLimited(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	ok := errors.As(err, &rl)
	return rl, ok
}
