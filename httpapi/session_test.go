package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/auth"
)

const testPassword = "correct horse battery"

// signIn creates the admin "ana" and returns her session cookie header.
func signIn(t *testing.T, a *apiSetup) string {
	t.Helper()
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.CreateAdmin(context.Background(), "ana", hash); err != nil {
		t.Fatal(err)
	}

	r := a.call("POST", "/api/v1/session", "", SignInRequest{Username: "ana", Password: testPassword})
	if r.status != http.StatusOK {
		t.Fatalf("sign in: status %d: %s", r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == auth.CookieName {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
				t.Errorf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/ and not Secure over plain HTTP", c)
			}
			return auth.CookieName + "=" + c.Value
		}
	}
	t.Fatalf("sign in set no %s cookie", auth.CookieName)
	return ""
}

func TestSessionCookieOpensAdminRoutes(t *testing.T) {
	a := newAPI(t)
	cookie := signIn(t, a)

	if r := a.call("GET", "/api/v1/datasources", "", nil, "Cookie", cookie); r.status != http.StatusOK {
		t.Errorf("list datasources with the cookie: status %d: %s", r.status, r.body)
	}
	r := a.call("POST", "/api/v1/datasources", "", graphBody("s3cret-value"), "Cookie", cookie)
	if r.status != http.StatusCreated {
		t.Errorf("create datasource with the cookie: status %d: %s", r.status, r.body)
	}

	session := decodeBody[SessionResponse](t, a.call("GET", "/api/v1/session", "", nil, "Cookie", cookie))
	if session.Username != "ana" || session.ExpiresAt.IsZero() {
		t.Errorf("GET /api/v1/session = %+v, want ana with an expiry", session)
	}

	if r := a.call("DELETE", "/api/v1/session", "", nil, "Cookie", cookie); r.status != http.StatusNoContent {
		t.Errorf("sign out: status %d", r.status)
	}
	if r := a.call("GET", "/api/v1/datasources", "", nil, "Cookie", cookie); r.status != http.StatusUnauthorized {
		t.Errorf("list datasources after sign-out: status %d, want 401", r.status)
	}
	if r := a.call("GET", "/api/v1/session", "", nil, "Cookie", cookie); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/session after sign-out: status %d, want 401", r.status)
	}
}

func TestSessionCrossOriginChangeRejected(t *testing.T) {
	a := newAPI(t)
	cookie := signIn(t, a)

	r := a.call("POST", "/api/v1/datasources", "", graphBody("s3cret-value"), "Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site POST with the cookie: status %d, want 403", r.status)
	}
	r = a.call("GET", "/api/v1/datasources", "", nil, "Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	if r.status != http.StatusOK {
		t.Errorf("cross-site GET with the cookie: status %d, want 200", r.status)
	}
	r = a.call("POST", "/api/v1/datasources", "", graphBody("s3cret-value"), "Cookie", cookie, "Sec-Fetch-Site", "same-origin")
	if r.status != http.StatusCreated {
		t.Errorf("same-origin POST with the cookie: status %d, want 201: %s", r.status, r.body)
	}
}

func TestSignInBadLoginAndRateLimit(t *testing.T) {
	a := newAPI(t)
	signIn(t, a)

	wrong := a.call("POST", "/api/v1/session", "", SignInRequest{Username: "ana", Password: "wrong password!"})
	unknown := a.call("POST", "/api/v1/session", "", SignInRequest{Username: "nobody", Password: testPassword})
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
		t.Fatalf("bad logins: status %d and %d, want 401", wrong.status, unknown.status)
	}
	if string(wrong.body) != string(unknown.body) {
		t.Errorf("wrong password answered %s, unknown user %s: want the same answer", wrong.body, unknown.body)
	}

	for range 4 {
		a.call("POST", "/api/v1/session", "", SignInRequest{Username: "ana", Password: "wrong password!"})
	}
	r := a.call("POST", "/api/v1/session", "", SignInRequest{Username: "ana", Password: testPassword})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("sign-in after 5 failures: status %d, Retry-After %q; want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	if strings.Contains(a.logs.String(), "wrong password!") || strings.Contains(a.logs.String(), testPassword) {
		t.Error("the log contains a password")
	}
	if !strings.Contains(a.logs.String(), "sign-in failed") {
		t.Error("the log does not record failed sign-ins")
	}
}

func TestReadOnlyTokenCannotChange(t *testing.T) {
	a := newAPI(t)
	r := a.call("POST", "/api/v1/tokens", adminToken, CreateTokenRequest{Name: "monitoring", Scope: auth.ScopeReadOnly})
	if r.status != http.StatusCreated {
		t.Fatalf("create token: status %d: %s", r.status, r.body)
	}
	created := decodeBody[CreatedToken](t, r)
	if !strings.HasPrefix(created.Secret, auth.TokenPrefix) {
		t.Errorf("token %q does not start with %s", created.Secret, auth.TokenPrefix)
	}

	if r := a.call("GET", "/api/v1/datasources", created.Secret, nil); r.status != http.StatusOK {
		t.Errorf("GET with the read-only token: status %d", r.status)
	}
	r = a.call("POST", "/api/v1/datasources", created.Secret, graphBody("s3cret-value"))
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "read-only") {
		t.Errorf("POST with the read-only token: status %d %s, want 403 naming the scope", r.status, r.body)
	}

	list := decodeBody[struct{ Tokens []auth.Token }](t, a.call("GET", "/api/v1/tokens", adminToken, nil))
	if len(list.Tokens) != 1 || list.Tokens[0].Name != "monitoring" || list.Tokens[0].LastUsedAt.IsZero() {
		t.Errorf("tokens %+v, want monitoring with a last use", list.Tokens)
	}
	if strings.Contains(string(a.call("GET", "/api/v1/tokens", adminToken, nil).body), created.Secret) {
		t.Error("the token list contains the secret")
	}

	if r := a.call("DELETE", "/api/v1/tokens/"+created.ID, adminToken, nil); r.status != http.StatusNoContent {
		t.Errorf("revoke: status %d", r.status)
	}
	if r := a.call("GET", "/api/v1/datasources", created.Secret, nil); r.status != http.StatusUnauthorized {
		t.Errorf("GET with the revoked token: status %d, want 401", r.status)
	}
}

func TestAdminScopeTokenCanChange(t *testing.T) {
	a := newAPI(t)
	created := decodeBody[CreatedToken](t, a.call("POST", "/api/v1/tokens", adminToken, CreateTokenRequest{Name: "deploy", Scope: auth.ScopeAdmin}))

	if r := a.call("POST", "/api/v1/datasources", created.Secret, graphBody("s3cret-value")); r.status != http.StatusCreated {
		t.Errorf("POST with the admin-scope token: status %d: %s", r.status, r.body)
	}
	r := a.call("POST", "/api/v1/tokens", adminToken, CreateTokenRequest{Name: "deploy", Scope: "owner"})
	if r.status != http.StatusBadRequest {
		t.Errorf("create token with scope owner: status %d, want 400", r.status)
	}
}

func TestAuditRecordsActors(t *testing.T) {
	a := newAPI(t)
	cookie := signIn(t, a)

	ds := decodeBody[struct{ ID string }](t, a.call("POST", "/api/v1/datasources", "", graphBody("s3cret-value"), "Cookie", cookie))
	a.call("DELETE", "/api/v1/datasources/"+ds.ID, adminToken, nil)
	a.call("POST", "/api/v1/tokens", adminToken, CreateTokenRequest{Name: "ci", Scope: auth.ScopeReadOnly})

	r := a.call("GET", "/api/v1/audit?limit=10", adminToken, nil)
	got := decodeBody[struct{ Entries []auth.AuditEntry }](t, r)
	var lines []string
	for _, e := range got.Entries {
		lines = append(lines, e.Actor+" "+e.Action+" "+e.Target)
	}
	want := []string{
		"admin-token token.create ci",
		"admin-token datasource.delete " + ds.ID,
		"ana datasource.create " + ds.ID,
		"ana session.create ",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit entries:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(string(r.body), "s3cret-value") {
		t.Error("the audit log contains a secret")
	}

	if r := a.call("GET", "/api/v1/audit?limit=0", adminToken, nil); r.status != http.StatusBadRequest {
		t.Errorf("limit=0: status %d, want 400", r.status)
	}
}
