package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fieldlink/fieldlink/auth"
)

func TestStartSessionNewUser(t *testing.T) {
	m, db, _ := newManager(t)
	ctx := context.Background()

	rec := httptest.NewRecorder()
	user, err := m.StartSession(ctx, rec, httptest.NewRequest("GET", "/sso/callback", nil), "bo@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if user.Username != "bo@example.com" {
		t.Errorf("StartSession user = %q, want bo@example.com", user.Username)
	}

	if _, err := db.GetAdmin(ctx, "bo@example.com"); err != nil {
		t.Errorf("admin account of the new user: %v", err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	got, ok := m.UserFromRequest(req)
	if !ok || got.Username != "bo@example.com" {
		t.Errorf("UserFromRequest with the new cookie = %+v, %v, want bo@example.com", got, ok)
	}

	// The account's password is random, so no password signs it in.
	_, _, err = m.Login(ctx, "bo@example.com", "", "127.0.0.1")
	if !errors.Is(err, auth.ErrBadLogin) {
		t.Errorf("Login with an empty password = %v, want ErrBadLogin", err)
	}
}

func TestStartSessionExistingAdmin(t *testing.T) {
	m, _, _ := newManager(t)

	rec := httptest.NewRecorder()
	if _, err := m.StartSession(context.Background(), rec, httptest.NewRequest("GET", "/sso/callback", nil), "ana"); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != auth.CookieName || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("cookies = %+v, want one HttpOnly, SameSite=Lax session cookie", cookies)
	}

	// A password sign-in of the same admin still works.
	if _, _, err := m.Login(context.Background(), "ana", "correct horse battery", "127.0.0.1"); err != nil {
		t.Errorf("Login after single sign-on: %v", err)
	}
}
