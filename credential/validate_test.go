package credential

import (
	"errors"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func validOAuth() fieldlink.Auth {
	return fieldlink.Auth{
		Mode:                 fieldlink.AuthOAuth2ClientCredentials,
		TokenURL:             "https://login.example/tenant-1/oauth2/v2.0/token",
		ClientID:             "11111111-2222-3333-4444-555555555555",
		ClientSecret:         awkwardSecret,
		ClientAuthentication: fieldlink.ClientAuthBody,
		Scopes:               []string{"https://graph.microsoft.com/.default"},
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		auth fieldlink.Auth
	}{
		{"empty mode", fieldlink.Auth{}},
		{"none", fieldlink.Auth{Mode: fieldlink.AuthNone}},
		{"basic", fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: "p:w"}},
		{"bearer", fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "t"}},
		{"api key header", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-API-Key", APIKeyValue: "k", APIKeyIn: "header"}},
		{"api key query", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "api key", APIKeyValue: "k", APIKeyIn: "query"}},
		{"oauth", validOAuth()},
		{"oauth without scopes", func() fieldlink.Auth { a := validOAuth(); a.Scopes = nil; return a }()},
		{"oauth over http", func() fieldlink.Auth { a := validOAuth(); a.TokenURL = "http://127.0.0.1:8080/token"; return a }()},
		{"oauth with token params", func() fieldlink.Auth {
			a := validOAuth()
			a.TokenParams = map[string]string{"resource": "https://api.example", "audience": "api://x"}
			return a
		}()},
	}
	for _, tt := range tests {
		if err := Validate(tt.auth); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", tt.name, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name       string
		change     func(a *fieldlink.Auth)
		wantPrefix string
	}{
		{"unknown mode", func(a *fieldlink.Auth) { a.Mode = "digest" }, `auth.mode "digest" is not supported`},
		{"token url ftp", func(a *fieldlink.Auth) { a.TokenURL = "ftp://x" }, `auth.tokenUrl "ftp://x" is not an http(s) URL: `},
		{"token url missing", func(a *fieldlink.Auth) { a.TokenURL = "" }, "auth.tokenUrl is missing: "},
		{"token url relative", func(a *fieldlink.Auth) { a.TokenURL = "/oauth2/token" }, `auth.tokenUrl "/oauth2/token" is not an http(s) URL`},
		{"token url no host", func(a *fieldlink.Auth) { a.TokenURL = "https:///token" }, `auth.tokenUrl "https:///token" has no host`},
		{"token url bad escape", func(a *fieldlink.Auth) { a.TokenURL = "https://login.example/%zz" }, `auth.tokenUrl "https://login.example/%zz" is not an http(s) URL: `},
		{"token url user info", func(a *fieldlink.Auth) { a.TokenURL = "https://u:pw@login.example/token" }, `auth.tokenUrl "https://u:xxxxx@login.example/token" contains user information`},
		{"client id missing", func(a *fieldlink.Auth) { a.ClientID = " " }, "auth.clientId is missing"},
		{"client id spaces", func(a *fieldlink.Auth) { a.ClientID = "abc " }, `auth.clientId "abc " has spaces`},
		{"client secret missing", func(a *fieldlink.Auth) { a.ClientSecret = "" }, "auth.clientSecret is missing"},
		{"client secret newline", func(a *fieldlink.Auth) { a.ClientSecret = "abc\n" }, "auth.clientSecret contains a control character"},
		{"client auth empty", func(a *fieldlink.Auth) { a.ClientAuthentication = "" }, `auth.clientAuthentication is missing`},
		{"password in oauth mode", func(a *fieldlink.Auth) { a.Password = "pw" }, `auth.password is set, but auth mode "oauth2-client-credentials" does not use it`},
		{"client auth auto", func(a *fieldlink.Auth) { a.ClientAuthentication = "auto" }, `auth.clientAuthentication "auto" is not supported`},
		{"scope with space", func(a *fieldlink.Auth) { a.Scopes = []string{"openid profile"} }, `auth.scopes[0] "openid profile" is not a valid scope`},
		{"scope empty", func(a *fieldlink.Auth) { a.Scopes = []string{"a", ""} }, `auth.scopes[1] "" is not a valid scope`},
		{"token param grant type", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"grant_type": "password"} }, `auth.tokenParams must not set "grant_type": it is always client_credentials`},
		{"token param scope", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"resource": "r", "scope": "x"} }, `auth.tokenParams must not set "scope": enter scopes in auth.scopes`},
		{"token param secret any case", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"Client_Secret": "x"} }, `auth.tokenParams must not set "Client_Secret": `},
		{"token param client id", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"client_id": "x"} }, `auth.tokenParams must not set "client_id": `},
		{"token param assertion", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"client_assertion": "x"} }, `auth.tokenParams must not set "client_assertion": `},
		{"token param assertion type", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"client_assertion_type": "x"} }, `auth.tokenParams must not set "client_assertion_type": `},
		{"token param empty name", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"": "x"} }, "auth.tokenParams has an empty parameter name"},
		{"token param spaced name", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"resource ": "x"} }, `auth.tokenParams name "resource " has spaces`},
		{"token param newline value", func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"audience": "api\n"} }, `auth.tokenParams["audience"] contains a control character`},
		{"private_key_jwt without certificate", func(a *fieldlink.Auth) { a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT }, "auth.clientCertificate is missing: "},
		{"tls key without certificate", func(a *fieldlink.Auth) { a.TLSClientKey = "-----BEGIN PRIVATE KEY-----" }, "auth.tlsClientCertificate is missing while auth.tlsClientKey is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validOAuth()
			tt.change(&a)

			err := Validate(a)

			var fieldErr *fieldlink.Error
			if !errors.As(err, &fieldErr) {
				t.Fatalf("Validate = %v, want *fieldlink.Error", err)
			}
			if fieldErr.Code != fieldlink.EInvalid {
				t.Errorf("code = %q, want %q", fieldErr.Code, fieldlink.EInvalid)
			}
			if !strings.HasPrefix(fieldErr.Message, tt.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", fieldErr.Message, tt.wantPrefix)
			}
			if strings.Contains(fieldErr.Message, awkwardSecret) {
				t.Errorf("message %q contains the client secret", fieldErr.Message)
			}
		})
	}
}

func TestValidateRejectsOtherModes(t *testing.T) {
	tests := []struct {
		name       string
		auth       fieldlink.Auth
		wantPrefix string
	}{
		{"basic no user", fieldlink.Auth{Mode: fieldlink.AuthBasic, Password: "pw"}, "auth.username is missing"},
		{"basic colon", fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "a:b"}, `auth.username "a:b" contains a colon`},
		{"basic password newline", fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "a", Password: "pw\r\n"}, "auth.password contains a control character"},
		{"bearer missing", fieldlink.Auth{Mode: fieldlink.AuthBearer}, "auth.token is missing"},
		{"api key no name", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyValue: "k", APIKeyIn: "header"}, "auth.apiKeyName is missing"},
		{"api key bad place", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "k", APIKeyValue: "k", APIKeyIn: "cookie"}, `auth.apiKeyIn "cookie" is not supported`},
		{"api key bad header", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X Key", APIKeyValue: "k", APIKeyIn: "header"}, `auth.apiKeyName "X Key" is not a valid header name`},
		{"api key no value", fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-Key", APIKeyIn: "header"}, "auth.apiKeyValue is missing"},
	}
	for _, tt := range tests {
		err := Validate(tt.auth)

		var fieldErr *fieldlink.Error
		if !errors.As(err, &fieldErr) {
			t.Errorf("Validate(%s) = %v, want *fieldlink.Error", tt.name, err)
			continue
		}
		if !strings.HasPrefix(fieldErr.Message, tt.wantPrefix) {
			t.Errorf("Validate(%s) message = %q, want prefix %q", tt.name, fieldErr.Message, tt.wantPrefix)
		}
	}
}

func TestAuthorizerRejectsInvalidAuth(t *testing.T) {
	cache := NewCache(loopbackClients(), nil)

	_, err := cache.Authorizer(fieldlink.Datasource{ID: "ds-1", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer}})

	if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
		t.Errorf("error code = %q (%v), want %q", code, err, fieldlink.EInvalid)
	}
}

func TestValidateTLSClientCertificate(t *testing.T) {
	pair := newTestKeyPair(t, ecPKCS8, inAYear())
	other := newTestKeyPair(t, rsaPKCS8, inAYear())
	tests := []struct {
		name       string
		auth       fieldlink.Auth
		wantPrefix string // empty when valid
	}{
		{name: "none mode with pair", auth: fieldlink.Auth{Mode: fieldlink.AuthNone, TLSClientCertificate: pair.CertPEM, TLSClientKey: pair.KeyPEM}},
		{name: "basic with pair", auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: "pw", TLSClientCertificate: pair.CertPEM, TLSClientKey: pair.KeyPEM}},
		{name: "mismatched pair", auth: fieldlink.Auth{Mode: fieldlink.AuthNone, TLSClientCertificate: pair.CertPEM, TLSClientKey: other.KeyPEM}, wantPrefix: "auth.tlsClientCertificate and auth.tlsClientKey are not a valid key pair: "},
		{name: "certificate alone", auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "t", TLSClientCertificate: pair.CertPEM}, wantPrefix: "auth.tlsClientKey is missing while auth.tlsClientCertificate is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.auth)

			if tt.wantPrefix == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
				t.Errorf("error code = %q (%v), want %q", code, err, fieldlink.EInvalid)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("Validate = %v, want prefix %q", err, tt.wantPrefix)
			}
		})
	}
}
