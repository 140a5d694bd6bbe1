package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time          { return c.now }
func (c *testClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// newManager returns a Manager on a new SQLite file with the admin "ana",
// whose password is "correct horse battery".
func newManager(t *testing.T) (*auth.Manager, *store.DB, *testClock) {
	t.Helper()
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAdmin(context.Background(), "ana", hash); err != nil {
		t.Fatal(err)
	}

	clock := &testClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return auth.NewManager(auth.Options{Store: db, Now: clock.Now}), db, clock
}

func requestWithCookie(id string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: id})
	return r
}

func TestLoginAndUserFromRequest(t *testing.T) {
	m, _, clock := newManager(t)
	id, user, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if user.Username != "ana" || !user.ExpiresAt.Equal(clock.now.Add(auth.DefaultIdleTimeout)) {
		t.Errorf("Login user = %+v, want ana expiring after the idle timeout", user)
	}

	got, ok := m.UserFromRequest(requestWithCookie(id))
	if !ok || got.Username != "ana" {
		t.Errorf("UserFromRequest = %+v, %v; want ana, true", got, ok)
	}
	if _, ok := m.UserFromRequest(requestWithCookie(id + "x")); ok {
		t.Error("UserFromRequest accepted a wrong session ID")
	}
	if _, ok := m.UserFromRequest(httptest.NewRequest("GET", "/", nil)); ok {
		t.Error("UserFromRequest accepted a request without a cookie")
	}
}

func TestLoginSameErrorForUnknownUser(t *testing.T) {
	m, _, _ := newManager(t)
	_, _, wrongPassword := m.Login(context.Background(), "ana", "wrong password here", "192.0.2.1")
	_, _, unknownUser := m.Login(context.Background(), "bob", "correct horse battery", "192.0.2.2")
	if !errors.Is(wrongPassword, auth.ErrBadLogin) || !errors.Is(unknownUser, auth.ErrBadLogin) {
		t.Errorf("errors %v and %v, want ErrBadLogin for both", wrongPassword, unknownUser)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	m, _, clock := newManager(t)
	id, _, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	// Using the session every 11 hours keeps it alive until the 7-day end.
	for clock.now.Add(11 * time.Hour).Before(time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)) {
		clock.Advance(11 * time.Hour)
		if _, ok := m.UserFromRequest(requestWithCookie(id)); !ok {
			t.Fatalf("session ended at %v, before 7 days", clock.now)
		}
	}
	clock.now = time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)
	if _, ok := m.UserFromRequest(requestWithCookie(id)); ok {
		t.Error("session still valid after 7 days")
	}

	id, _, err = m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(12 * time.Hour)
	if _, ok := m.UserFromRequest(requestWithCookie(id)); ok {
		t.Error("session still valid after 12 idle hours")
	}
}

func TestLoginRateLimited(t *testing.T) {
	m, _, clock := newManager(t)
	for range 5 {
		_, _, err := m.Login(context.Background(), "ana", "wrong password here", "192.0.2.1")
		if !errors.Is(err, auth.ErrBadLogin) {
			t.Fatalf("failure: error %v, want ErrBadLogin", err)
		}
	}

	// The right password from another address is rejected too: the
	// username is blocked.
	_, _, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.9")
	rl, ok := auth.IsRateLimited(err)
	if !ok || rl.RetryAfter != 15*time.Minute {
		t.Fatalf("sixth attempt: error %v, want a rate limit of 15m", err)
	}

	clock.Advance(15 * time.Minute)
	if _, _, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.9"); err != nil {
		t.Errorf("after 15 minutes: error %v", err)
	}
}

func TestLogoutDeletesSession(t *testing.T) {
	m, _, _ := newManager(t)
	id, _, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	w := httptest.NewRecorder()
	if err := m.Logout(w, requestWithCookie(id)); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.UserFromRequest(requestWithCookie(id)); ok {
		t.Error("session valid after Logout")
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != auth.CookieName || cookies[0].MaxAge >= 0 {
		t.Errorf("Logout cookies %+v, want one that clears %s", cookies, auth.CookieName)
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	m, db, _ := newManager(t)
	id, _, err := m.Login(context.Background(), "ana", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword("another long passphrase")
	if err := db.SetAdminPassword(context.Background(), "ana", hash); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.UserFromRequest(requestWithCookie(id)); ok {
		t.Error("session valid after a password change")
	}
}
