package upstream_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/upstream"
)

const (
	entraTenant   = "0b6f3c2e-7d41-4a9b-8e25-3f1c9d7a6b40"
	entraClientID = "6c2d8e91-4b7a-4f35-9d0e-1a8b3c5e7f21"
	entraSecretID = "9e4a1c7b-2d5f-4e83-b6a0-7c3d1f9e5b28"
	entraSecret   = "Q8~kz.Secret+Value/with:odd=chars%"
)

// entraFixture is the Entra ID and Graph emulators on loopback with one
// app that has a secret, an expired secret's twin app, and a certificate.
type entraFixture struct {
	tokenURL string
	graphURL string
	certPEM  string
	keyPEM   string
}

func newEntraFixture(t *testing.T) *entraFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "fieldlink graph"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	idp := entra.New(entra.Options{
		TenantID:  entraTenant,
		Resources: []string{"https://graph.microsoft.com"},
		Apps: []entra.App{
			{ClientID: entraClientID, DisplayName: "fieldlink", ClientSecret: entraSecret, SecretID: entraSecretID,
				Roles: []string{"User.Read.All"}, Certificates: []*x509.Certificate{cert}},
			{ClientID: "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", DisplayName: "expired", ClientSecret: "old-secret",
				SecretExpires: time.Now().Add(-24 * time.Hour), Roles: []string{"User.Read.All"}},
			{ClientID: "2a3b4c5d-6e7f-4081-9203-a4b5c6d7e8f9", DisplayName: "no consent", ClientSecret: "no-roles"},
		},
	})
	idpServer := httptest.NewServer(idp)
	t.Cleanup(idpServer.Close)

	api := graph.New(graph.Options{Users: graph.SampleDirectory(), VerifyToken: func(raw string) ([]string, error) {
		claims, err := idp.VerifyToken(raw, "https://graph.microsoft.com")
		return claims.Roles, err
	}})
	apiServer := httptest.NewServer(api)
	t.Cleanup(apiServer.Close)

	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &entraFixture{
		tokenURL: idpServer.URL + "/" + entraTenant + "/oauth2/v2.0/token",
		graphURL: apiServer.URL + "/v1.0",
		certPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
	}
}

func (f *entraFixture) datasource(style string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID: "ds-graph", Name: "Microsoft Graph", BaseURL: f.graphURL, TestPath: "/users?$top=1&$select=id",
		UpdatedAt: time.Now(),
		Auth: fieldlink.Auth{
			Mode: fieldlink.AuthOAuth2ClientCredentials, TokenURL: f.tokenURL, ClientID: entraClientID,
			ClientSecret: entraSecret, ClientAuthentication: style, Scopes: []string{"https://graph.microsoft.com/.default"},
		},
	}
}

func TestTestAgainstEntraSucceeds(t *testing.T) {
	f := newEntraFixture(t)
	jwt := f.datasource(fieldlink.ClientAuthPrivateKeyJWT)
	jwt.Auth.ClientSecret = ""
	jwt.Auth.ClientCertificate, jwt.Auth.ClientPrivateKey = f.certPEM, f.keyPEM
	header := f.datasource(fieldlink.ClientAuthHeader)
	body := f.datasource(fieldlink.ClientAuthBody)

	for name, ds := range map[string]fieldlink.Datasource{"header": header, "body": body, "private_key_jwt": jwt} {
		t.Run(name, func(t *testing.T) {
			got := newClient().Test(t.Context(), ds)

			if !got.OK || got.Status != fieldlink.StatusValidAccessToken {
				t.Fatalf("Test = %s %+v", got.Status, got.Steps)
			}
			if got.Token == nil || len(got.Token.Roles) != 1 || got.Token.Roles[0] != "User.Read.All" {
				t.Errorf("token details = %+v, want the User.Read.All role", got.Token)
			}
		})
	}
}

func TestTestAgainstEntraExplainsFailures(t *testing.T) {
	f := newEntraFixture(t)
	tests := []struct {
		name     string
		edit     func(*fieldlink.Datasource)
		wantCode string
		wantHint string
	}{
		{"secret ID pasted", func(ds *fieldlink.Datasource) { ds.Auth.ClientSecret = entraSecretID }, "AADSTS7000215", "Value"},
		{"wrong secret", func(ds *fieldlink.Datasource) { ds.Auth.ClientSecret = "not-the-secret" }, "AADSTS7000215", "Certificates & secrets"},
		{"expired secret", func(ds *fieldlink.Datasource) {
			ds.Auth.ClientID, ds.Auth.ClientSecret = "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "old-secret"
		}, "AADSTS7000222", "new"},
		{"unknown app", func(ds *fieldlink.Datasource) { ds.Auth.ClientID = "00000000-1111-4222-8333-444444444444" }, "AADSTS700016", "Application (client) ID"},
		{"unknown tenant", func(ds *fieldlink.Datasource) {
			ds.Auth.TokenURL = strings.Replace(ds.Auth.TokenURL, entraTenant, "5a5a5a5a-0000-4000-8000-000000000000", 1)
		}, "AADSTS90002", "tenant"},
		{"common tenant", func(ds *fieldlink.Datasource) {
			ds.Auth.TokenURL = strings.Replace(ds.Auth.TokenURL, entraTenant, "common", 1)
		}, "AADSTS50059", "Directory (tenant) ID"},
		{"scope without .default", func(ds *fieldlink.Datasource) { ds.Auth.Scopes = []string{"User.Read.All"} }, "AADSTS1002012", "/.default"},
		{"resource parameter", func(ds *fieldlink.Datasource) {
			ds.Auth.TokenParams = map[string]string{"resource": "https://graph.microsoft.com"}
		}, "AADSTS901002", "resource"},
		{"certificate not uploaded", func(ds *fieldlink.Datasource) {
			other := newEntraFixture(t)
			ds.Auth.ClientAuthentication, ds.Auth.ClientSecret = fieldlink.ClientAuthPrivateKeyJWT, ""
			ds.Auth.ClientCertificate, ds.Auth.ClientPrivateKey = other.certPEM, other.keyPEM
		}, "AADSTS700027", "upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := f.datasource(fieldlink.ClientAuthBody)
			tt.edit(&ds)

			got := newClient().Test(t.Context(), ds)

			if got.OK {
				t.Fatalf("Test succeeded, want a failure")
			}
			if got.Status != upstream.StatusTokenRequestFailed {
				t.Errorf("status = %q, want %q", got.Status, upstream.StatusTokenRequestFailed)
			}
			step := got.Steps[len(got.Steps)-1]
			if !strings.Contains(step.Message, tt.wantCode) {
				t.Errorf("message = %q, want it to name %s", step.Message, tt.wantCode)
			}
			if !strings.Contains(strings.ToLower(step.Hint), strings.ToLower(tt.wantHint)) {
				t.Errorf("hint = %q, want it to mention %q", step.Hint, tt.wantHint)
			}
			if strings.Contains(step.Message+step.Hint, entraSecret) {
				t.Errorf("the client secret appears in the step")
			}
		})
	}
}

func TestTestAgainstGraphWithoutConsent(t *testing.T) {
	f := newEntraFixture(t)
	ds := f.datasource(fieldlink.ClientAuthBody)
	ds.Auth.ClientID, ds.Auth.ClientSecret = "2a3b4c5d-6e7f-4081-9203-a4b5c6d7e8f9", "no-roles"

	got := newClient().Test(t.Context(), ds)

	if got.OK || got.Status != upstream.StatusAPIRequestFailed {
		t.Fatalf("Test = %s, want %s", got.Status, upstream.StatusAPIRequestFailed)
	}
	if hint := got.Steps[len(got.Steps)-1].Hint; !strings.Contains(hint, "admin consent") {
		t.Errorf("hint = %q, want it to mention admin consent", hint)
	}
	warned := false
	for _, w := range got.Warnings {
		warned = warned || strings.Contains(w, "roles")
	}
	if !warned {
		t.Errorf("warnings = %q, want one about the token without roles", got.Warnings)
	}
}
