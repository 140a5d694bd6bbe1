package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
	"github.com/fieldlink/fieldlink/oidc"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

const (
	ssoClientID     = "fieldlink"
	ssoClientSecret = "emulator-client-secret"
)

// ssoSetup is fieldlink's single sign-on routes and an emulated provider,
// both on loopback.
type ssoSetup struct {
	t        *testing.T
	provider *oidcprovider.Provider
	db       *store.DB
	srv      *httptest.Server
	logs     *syncBuffer
}

// newSSO starts the provider, whose user is ana@example.com in the group
// fieldlink-admins, and the routes with the options edits changes.
func newSSO(t *testing.T, edit func(*SSOOptions)) *ssoSetup {
	t.Helper()
	provider, err := oidcprovider.Start(oidcprovider.Options{
		ClientID:     ssoClientID,
		ClientSecret: ssoClientSecret,
		Email:        "ana@example.com",
		Groups:       []string{"fieldlink-admins"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(provider.Close)

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

	s := &ssoSetup{t: t, provider: provider, db: db, logs: &syncBuffer{}}
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)

	logger := slog.New(slog.NewTextHandler(s.logs, nil))
	rp, err := oidc.New(oidc.Config{Issuer: provider.URL, ClientID: ssoClientID, ClientSecret: ssoClientSecret, RedirectURL: s.srv.URL + "/sso/callback"})
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewManager(auth.Options{Store: db, Logger: logger})
	opts := SSOOptions{
		RelyingParty:  rp,
		DisplayName:   "Example SSO",
		AllowedEmails: []string{"@example.com"},
		Sessions:      sessions,
		Audit:         db,
		Logger:        logger,
	}
	if edit != nil {
		edit(&opts)
	}
	NewSSO(opts).Register(mux)

	// Every other page shows who is signed in, so a test can see where
	// the browser landed and as whom.
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		user, _ := sessions.UserFromRequest(r)
		fmt.Fprintf(w, "user=%s", user.Username)
	})
	return s
}

// browser returns a client that keeps cookies and follows redirects, as a
// browser does.
func (s *ssoSetup) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// visit follows path to where the browser lands and returns that URL and
// the page.
func (s *ssoSetup) visit(client *http.Client, path string) (*url.URL, string) {
	s.t.Helper()
	resp, err := client.Get(s.srv.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Request.URL, string(body)
}

// wantFailure checks that the browser landed on the login page with the
// failure code, that GET /api/v1/sso returns its message, and that no
// session was started.
func (s *ssoSetup) wantFailure(landed *url.URL, client *http.Client, code string) {
	s.t.Helper()
	if landed.Path != "/login" || landed.Query().Get("sso_error") != code {
		s.t.Fatalf("landed on %s, want /login with sso_error=%s; log:\n%s", landed, code, s.logs)
	}

	_, body := s.visit(client, "/api/v1/sso?error="+code)
	if !strings.Contains(body, ssoMessages[code]) || ssoMessages[code] == "" {
		s.t.Errorf("GET /api/v1/sso?error=%s = %s, want the message %q", code, body, ssoMessages[code])
	}
	if !strings.Contains(s.logs.String(), "reason="+code) {
		s.t.Errorf("log has no line with reason=%s:\n%s", code, s.logs)
	}
	if _, page := s.visit(client, "/whoami"); page != "user=" {
		s.t.Errorf("after a failed sign-in the page shows %q, want no user", page)
	}
}

func TestSSOSignIn(t *testing.T) {
	s := newSSO(t, func(o *SSOOptions) { o.AdminGroup = "fieldlink-admins" })
	client := s.browser()

	landed, page := s.visit(client, "/sso/login?next="+url.QueryEscape("/datasources?sort=name"))
	if landed.RequestURI() != "/datasources?sort=name" {
		t.Errorf("landed on %s, want /datasources?sort=name; log:\n%s", landed, s.logs)
	}
	if page != "user=ana@example.com" {
		t.Errorf("page shows %q, want user=ana@example.com", page)
	}

	entries, err := s.db.ListAudit(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Actor != "ana@example.com" || entries[0].Action != "session.create" || entries[0].Target != "sso" {
		t.Errorf("audit log = %+v, want one SSO sign-in of ana@example.com", entries)
	}

	for _, secret := range []string{ssoClientSecret, "id_token", "eyJ"} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, s.logs)
		}
	}
}

func TestSSOProviderMisbehaviorRejected(t *testing.T) {
	tests := []struct {
		misbehavior oidcprovider.Misbehavior
		code        string
	}{
		{oidcprovider.Misbehavior{WrongIssuer: true}, "issuer_mismatch"},
		{oidcprovider.Misbehavior{WrongAudience: true}, "wrong_audience"},
		{oidcprovider.Misbehavior{ExpiredToken: true}, "token_expired"},
		{oidcprovider.Misbehavior{BadNonce: true}, "nonce_mismatch"},
		{oidcprovider.Misbehavior{UnverifiedEmail: true}, "email_unverified"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			s := newSSO(t, nil)
			s.provider.SetMisbehavior(tt.misbehavior)
			client := s.browser()

			landed, _ := s.visit(client, "/sso/login?next=/rules")
			s.wantFailure(landed, client, tt.code)
			if landed.Query().Get("next") != "/rules" {
				t.Errorf("login page next = %q, want /rules", landed.Query().Get("next"))
			}
		})
	}
}

func TestSSOEmailNotAllowed(t *testing.T) {
	s := newSSO(t, func(o *SSOOptions) { o.AllowedEmails = []string{"bo@example.com", "@example.org"} })
	client := s.browser()

	landed, _ := s.visit(client, "/sso/login")
	s.wantFailure(landed, client, "not_allowed")
}

func TestSSOEmailAllowedByAddress(t *testing.T) {
	s := newSSO(t, func(o *SSOOptions) { o.AllowedEmails = []string{"bo@example.com", " ANA@example.com "} })
	client := s.browser()

	if _, page := s.visit(client, "/sso/login"); page != "user=ana@example.com" {
		t.Errorf("page shows %q, want user=ana@example.com; log:\n%s", page, s.logs)
	}
}

func TestSSOLoginHintOtherDomainRejected(t *testing.T) {
	s := newSSO(t, nil)
	client := s.browser()

	// The emulated provider approves the login_hint, here an address at
	// a domain that is not allowed.
	resp, err := (&http.Client{Jar: client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(s.srv.URL + "/sso/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authURL := resp.Header.Get("Location") + "&login_hint=" + url.QueryEscape("eve@example.net")
	resp, err = client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.wantFailure(resp.Request.URL, client, "not_allowed")
}

func TestSSONotInAdminGroup(t *testing.T) {
	s := newSSO(t, func(o *SSOOptions) { o.AdminGroup = "other-group" })
	client := s.browser()

	landed, _ := s.visit(client, "/sso/login")
	s.wantFailure(landed, client, "not_in_group")
}

func TestSSOStateMismatch(t *testing.T) {
	s := newSSO(t, nil)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// Another browser, without the sign-in cookie, brings back the code.
	client := s.browser()
	starter := &http.Client{Jar: client.Jar, CheckRedirect: noRedirect}
	resp, err := starter.Get(s.srv.URL + "/sso/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	other := s.browser()
	resp, err = other.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.wantFailure(resp.Request.URL, other, "state_mismatch")

	// The same browser brings back another state.
	resp, err = starter.Get(s.srv.URL + "/sso/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	landed, _ := s.visit(client, "/sso/callback?code=abc&state=forged-state")
	s.wantFailure(landed, client, "state_mismatch")
}

func TestSSOOpenRedirectRejected(t *testing.T) {
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/ok\r\nLocation: x"} {
		t.Run(next, func(t *testing.T) {
			s := newSSO(t, nil)
			client := s.browser()

			landed, page := s.visit(client, "/sso/login?next="+url.QueryEscape(next))
			if landed.Host != s.srv.Listener.Addr().String() || landed.Path != "/" {
				t.Errorf("next %q: landed on %s, want / on fieldlink", next, landed)
			}
			if page != "user=ana@example.com" {
				t.Errorf("next %q: page shows %q, want user=ana@example.com", next, page)
			}
		})
	}
}

func TestSSOStatus(t *testing.T) {
	s := newSSO(t, nil)

	_, body := s.visit(s.browser(), "/api/v1/sso")
	for _, want := range []string{`"enabled": true`, `"displayName": "Example SSO"`, `"loginUrl": "/sso/login"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /api/v1/sso = %s, want it to contain %s", body, want)
		}
	}
	if strings.Contains(body, `"error"`) {
		t.Errorf("GET /api/v1/sso without an error code = %s, want no error", body)
	}
}

func TestSSORoutesListed(t *testing.T) {
	routes := NewSSO(SSOOptions{}).Routes()

	want := []string{"GET /sso/login", "GET /sso/callback", "GET /api/v1/sso"}
	if strings.Join(routes, "\n") != strings.Join(want, "\n") {
		t.Errorf("Routes() = %q, want %q", routes, want)
	}
}

func TestSSOOffRoutesNotFound(t *testing.T) {
	a := newAPI(t)

	for _, path := range []string{"/sso/login?next=/datasources", "/sso/callback?code=abc&state=def", "/api/v1/sso"} {
		resp, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without single sign-on: status %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestIsLocalPath(t *testing.T) {
	tests := map[string]bool{
		"/":                      true,
		"/datasources?sort=name": true,
		"":                       false,
		"datasources":            false,
		"//evil.example":         false,
		"/\\evil.example":        false,
		"https://evil.example/":  false,
		"/a\nb":                  false,
	}
	for next, want := range tests {
		if got := isLocalPath(next); got != want {
			t.Errorf("isLocalPath(%q) = %v, want %v", next, got, want)
		}
	}
}
