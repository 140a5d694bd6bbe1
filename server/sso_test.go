package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
	"github.com/fieldlink/fieldlink/server"
)

// publicURL is the address the provider redirects to. The test sends the
// callback to the server's real address itself.
const publicURL = "http://127.0.0.1:1"

func startWithSSO(t *testing.T, allowLoopback bool) (*server.Server, *oidcprovider.Provider, *syncBuffer) {
	t.Helper()
	provider, err := oidcprovider.Start(oidcprovider.Options{ClientID: "fieldlink", ClientSecret: "emulator-client-secret", Email: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(provider.Close)

	logs := &syncBuffer{}
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, AllowLoopback: allowLoopback, ForEmulators: true,
		PublicURL: publicURL, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		OIDC: server.OIDCConfig{Issuer: provider.URL, ClientID: "fieldlink", ClientSecret: "emulator-client-secret", AllowedEmails: []string{"@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, provider, logs
}

// signInBySSO runs the sign-in as a browser would, and returns the client
// with its cookies and the URL it landed on.
func signInBySSO(t *testing.T, srv *server.Server, next string) (*http.Client, *url.URL) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	location := srv.URL() + "/sso/login?next=" + url.QueryEscape(next)
	for range 5 {
		resp, err := client.Get(location)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET %s: status %d", location, resp.StatusCode)
		}

		target, err := resp.Location()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(target.String(), publicURL) {
			target, _ = url.Parse(srv.URL() + strings.TrimPrefix(target.String(), publicURL))
		}
		if target.Path == "/login" || target.Path == next {
			return client, target
		}
		location = target.String()
	}
	t.Fatalf("sign-in did not finish after 5 redirects, at %s", location)
	return nil, nil
}

func TestServerSSOSignIn(t *testing.T) {
	srv, _, logs := startWithSSO(t, true)

	client, landed := signInBySSO(t, srv, "/rules")
	if landed.Path != "/rules" {
		t.Fatalf("landed on %s, want /rules; log:\n%s", landed, logs)
	}

	resp, err := client.Get(srv.URL() + "/api/v1/session")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ana@example.com") {
		t.Errorf("GET /api/v1/session after SSO: status %d: %s", resp.StatusCode, body)
	}
}

func TestServerSSOLoopbackBlocked(t *testing.T) {
	srv, _, logs := startWithSSO(t, false)

	_, landed := signInBySSO(t, srv, "/rules")
	if landed.Path != "/login" || landed.Query().Get("sso_error") != "provider_unreachable" {
		t.Errorf("landed on %s, want /login with sso_error=provider_unreachable; log:\n%s", landed, logs)
	}
}

func TestServerSSOOffNotFound(t *testing.T) {
	f := start(t)

	for _, path := range []string{"/sso/login?next=/datasources", "/sso/callback", "/api/v1/sso"} {
		resp, err := http.Get(f.srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without single sign-on: status %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestServerSSOConfigInvalid(t *testing.T) {
	tests := []struct {
		name      string
		oidc      server.OIDCConfig
		publicURL string
		want      string
	}{
		{"client ID missing", server.OIDCConfig{Issuer: "http://127.0.0.1:1", AllowedEmails: []string{"@example.com"}}, publicURL, "--oidc-client-id is missing"},
		{"allowed emails missing", server.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "fieldlink"}, publicURL, "--oidc-allowed-emails is missing"},
		{"public URL missing", server.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "fieldlink", AllowedEmails: []string{"@example.com"}}, "", "--public-url is missing"},
		{"issuer missing", server.OIDCConfig{ClientID: "fieldlink"}, publicURL, "without --oidc-issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, PublicURL: tt.publicURL, OIDC: tt.oidc})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
