package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

const (
	tenantID        = "6c3a1d0d-b9ac-4fb3-8387-0df407ea6cbe"
	readerClientID  = "4f1f14e4-a464-453b-8a56-6d8792fc1373"
	noRolesClientID = "3268784c-1550-4d42-9cc3-e56f52966daf"
	// clientSecret contains the characters RFC 6749 §2.3.1 form-encoding
	// changes, so a client that skips the encoding fails.
	clientSecret  = "Qx8+b/c:d=e%f~g"
	graphResource = "https://graph.microsoft.com"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type stack struct {
	entra    *entra.Server
	graph    *graph.Server
	entraURL string
	graphURL string
	clock    *clock
}

// setupStack starts an Entra ID emulator and a Graph emulator that accepts
// only the Entra emulator's tokens for Graph.
func setupStack(t *testing.T) stack {
	t.Helper()

	c := &clock{now: time.Now()}
	idp := entra.New(entra.Options{
		TenantID: tenantID,
		Apps: []entra.App{
			{ClientID: readerClientID, DisplayName: "fieldlink", ClientSecret: clientSecret, Roles: []string{"User.Read.All"}},
			{ClientID: noRolesClientID, DisplayName: "no permissions", ClientSecret: clientSecret},
		},
		Resources: []string{graphResource},
		Now:       c.Now,
	})
	idpHTTP := httptest.NewServer(idp)
	t.Cleanup(idpHTTP.Close)

	api := graph.New(graph.Options{
		Users: graph.SampleDirectory(),
		VerifyToken: func(raw string) ([]string, error) {
			claims, err := idp.VerifyToken(raw, graphResource)
			return claims.Roles, err
		},
	})
	apiHTTP := httptest.NewServer(api)
	t.Cleanup(apiHTTP.Close)

	return stack{entra: idp, graph: api, entraURL: idpHTTP.URL, graphURL: apiHTTP.URL, clock: c}
}

func (s stack) config(clientID string, style oauth2.AuthStyle) clientcredentials.Config {
	return clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TokenURL:     s.entraURL + "/" + tenantID + "/oauth2/v2.0/token",
		Scopes:       []string{graphResource + "/.default"},
		AuthStyle:    style,
	}
}

func getJSON(t *testing.T, client *http.Client, target string) (int, map[string]any) {
	t.Helper()
	resp, err := client.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return resp.StatusCode, body
}

func TestClientCredentialsToGraph(t *testing.T) {
	styles := []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"secret in params", oauth2.AuthStyleInParams},
		{"secret in header", oauth2.AuthStyleInHeader},
	}

	for _, tt := range styles {
		t.Run(tt.name, func(t *testing.T) {
			s := setupStack(t)
			cfg := s.config(readerClientID, tt.style)
			client := cfg.Client(context.Background())
			target := s.graphURL + "/v1.0/users/" + url.PathEscape("priya.nair@fabrikam.example") + "?$select=officeLocation,mail"

			status, body := getJSON(t, client, target)
			again, _ := getJSON(t, client, target)

			if status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %v", status, body)
			}
			if body["officeLocation"] != "London" {
				t.Errorf("officeLocation = %v, want London", body["officeLocation"])
			}
			if body["mail"] != "priya.nair+helpdesk@fabrikam.example" {
				t.Errorf("mail = %v, want priya.nair+helpdesk@fabrikam.example", body["mail"])
			}
			if again != http.StatusOK {
				t.Errorf("second request: status = %d, want 200", again)
			}
			if got := s.entra.TokenRequests(); got != 1 {
				t.Errorf("TokenRequests() = %d, want 1 because the client reuses its token", got)
			}
			if got := s.graph.Requests(); got != 2 {
				t.Errorf("graph Requests() = %d, want 2", got)
			}
		})
	}
}

func TestClientCredentialsWrongSecret(t *testing.T) {
	s := setupStack(t)
	cfg := s.config(readerClientID, oauth2.AuthStyleInHeader)
	cfg.ClientSecret = "not-the-secret"

	_, err := cfg.Token(context.Background())

	var retrieve *oauth2.RetrieveError
	if !errors.As(err, &retrieve) {
		t.Fatalf("Token error = %v, want *oauth2.RetrieveError", err)
	}
	if retrieve.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", retrieve.Response.StatusCode)
	}
	if retrieve.ErrorCode != "invalid_client" {
		t.Errorf("ErrorCode = %q, want invalid_client", retrieve.ErrorCode)
	}
}

func TestGraphRejectsTokenWithoutRoles(t *testing.T) {
	s := setupStack(t)
	cfg := s.config(noRolesClientID, oauth2.AuthStyleInParams)

	status, body := getJSON(t, cfg.Client(context.Background()), s.graphURL+"/v1.0/users")

	if status != http.StatusForbidden {
		t.Errorf("status = %d, want 403", status)
	}
	if code := body["error"].(map[string]any)["code"]; code != "Authorization_RequestDenied" {
		t.Errorf("code = %v, want Authorization_RequestDenied", code)
	}
}

func TestGraphRejectsExpiredToken(t *testing.T) {
	s := setupStack(t)
	cfg := s.config(readerClientID, oauth2.AuthStyleInParams)
	token, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}

	// The token carries the Entra emulator's clock, so moving that clock
	// past exp expires it without waiting.
	s.clock.Advance(time.Hour)
	client := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(token))
	status, body := getJSON(t, client, s.graphURL+"/v1.0/users")

	if status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", status)
	}
	errBody := body["error"].(map[string]any)
	if errBody["code"] != "InvalidAuthenticationToken" {
		t.Errorf("code = %v, want InvalidAuthenticationToken", errBody["code"])
	}
	if errBody["message"] != "Lifetime validation failed, the token is expired." {
		t.Errorf("message = %v, want Graph's expiry message", errBody["message"])
	}
}
