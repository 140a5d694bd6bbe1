package credential

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

func TestWarnings(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	soonPair := newTestKeyPair(t, ecPKCS8, now.Add(10*24*time.Hour))
	expiredPair := newTestKeyPair(t, ecSEC1, now.Add(-24*time.Hour))
	laterPair := newTestKeyPair(t, rsaPKCS8, now.Add(90*24*time.Hour))
	entra := func(change func(a *fieldlink.Auth)) fieldlink.Datasource {
		ds := fieldlink.Datasource{ID: "ds-graph", Auth: validOAuth()}
		ds.Auth.TokenURL = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
		change(&ds.Auth)
		return ds
	}

	tests := []struct {
		name string
		ds   fieldlink.Datasource
		want []string // prefixes of the warnings, in order
	}{
		{
			name: "valid entra settings",
			ds:   entra(func(*fieldlink.Auth) {}),
		},
		{
			name: "secret looks like a secret id",
			ds:   entra(func(a *fieldlink.Auth) { a.ClientSecret = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" }),
			want: []string{"auth.clientSecret looks like a GUID, the format of a secret's Secret ID"},
		},
		{
			name: "guid secret ignored for private_key_jwt",
			ds: entra(func(a *fieldlink.Auth) {
				a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT
				a.ClientSecret = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
				a.ClientCertificate = laterPair.CertPEM
			}),
		},
		{
			name: "empty tenant",
			ds:   entra(func(a *fieldlink.Auth) { a.TokenURL = "https://login.microsoftonline.com//oauth2/v2.0/token" }),
			want: []string{`auth.tokenUrl "https://login.microsoftonline.com//oauth2/v2.0/token" has no tenant before /oauth2: `},
		},
		{
			name: "common tenant",
			ds:   entra(func(a *fieldlink.Auth) { a.TokenURL = "https://login.microsoftonline.com/common/oauth2/v2.0/token" }),
			want: []string{`auth.tokenUrl uses "common" as the tenant, which Entra ID rejects for client credentials: `},
		},
		{
			name: "organizations tenant",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://login.microsoftonline.com/Organizations/oauth2/v2.0/token"
			}),
			want: []string{`auth.tokenUrl uses "Organizations" as the tenant`},
		},
		{
			name: "placeholder tenant",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://login.microsoftonline.com/{tenant-id}/oauth2/v2.0/token"
			}),
			want: []string{`auth.tokenUrl still contains the placeholder "{tenant-id}" as the tenant`},
		},
		{
			name: "pasted full url",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://login.microsoftonline.com/https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
			}),
			want: []string{`auth.tokenUrl "https://login.microsoftonline.com/https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" contains a URL or a second /oauth2/ in its path`},
		},
		{
			name: "path twice",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://login.microsoftonline.com/t1/oauth2/v2.0/token/t1/oauth2/v2.0/token"
			}),
			want: []string{`auth.tokenUrl "https://login.microsoftonline.com/t1/oauth2/v2.0/token/t1/oauth2/v2.0/token" contains a URL or a second /oauth2/`},
		},
		{
			name: "v1 endpoint",
			ds:   entra(func(a *fieldlink.Auth) { a.TokenURL = "https://login.microsoftonline.com/t1/oauth2/token" }),
			want: []string{`auth.tokenUrl "https://login.microsoftonline.com/t1/oauth2/token" is Entra ID's v1.0 endpoint, which takes a resource in place of scopes: use the v2.0 endpoint, https://login.microsoftonline.com/t1/oauth2/v2.0/token`},
		},
		{
			name: "scope without default",
			ds: entra(func(a *fieldlink.Auth) {
				a.Scopes = []string{"https://graph.microsoft.com/.default", "https://graph.microsoft.com/User.Read.All"}
			}),
			want: []string{`auth.scopes[1] "https://graph.microsoft.com/User.Read.All" does not end in /.default`},
		},
		{
			name: "no scopes",
			ds:   entra(func(a *fieldlink.Auth) { a.Scopes = nil }),
			want: []string{"auth.scopes is empty, but Entra ID requires a scope for client credentials: add https://graph.microsoft.com/.default"},
		},
		{
			name: "resource on v2",
			ds:   entra(func(a *fieldlink.Auth) { a.TokenParams = map[string]string{"resource": "https://graph.microsoft.com"} }),
			want: []string{`auth.tokenParams sets resource "https://graph.microsoft.com", which the v2.0 token endpoint rejects: remove it and add the scope https://graph.microsoft.com/.default instead.`},
		},
		{
			name: "emulator on loopback",
			ds:   entra(func(a *fieldlink.Auth) { a.TokenURL = "http://127.0.0.1:9000/common/oauth2/v2.0/token" }),
			want: []string{`auth.tokenUrl uses "common" as the tenant`},
		},
		{
			name: "other server not checked",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://auth.example/oauth2/token"
				a.Scopes = []string{"tickets.read"}
				a.TokenParams = map[string]string{"resource": "https://api.example"}
			}),
		},
		{
			name: "secret expires soon",
			ds:   entra(func(a *fieldlink.Auth) { a.SecretExpiresAt = now.Add(12 * 24 * time.Hour) }),
			want: []string{"auth.clientSecret: the secret expires on 2025-03-13, in 12 days: create a new secret and save it here before then."},
		},
		{
			name: "secret expired",
			ds:   entra(func(a *fieldlink.Auth) { a.SecretExpiresAt = now.Add(-time.Hour) }),
			want: []string{"auth.clientSecret: the secret expired on 2025-03-01, so requests fail: create a new secret and save it here."},
		},
		{
			name: "secret expires later",
			ds:   entra(func(a *fieldlink.Auth) { a.SecretExpiresAt = now.Add(31 * 24 * time.Hour) }),
		},
		{
			name: "basic password expires soon",
			ds:   fieldlink.Datasource{Auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", SecretExpiresAt: now.Add(24 * time.Hour)}},
			want: []string{"auth.password: the secret expires on 2025-03-02, in 1 day: "},
		},
		{
			name: "api key expires today",
			ds:   fieldlink.Datasource{Auth: fieldlink.Auth{Mode: fieldlink.AuthAPIKey, SecretExpiresAt: now.Add(time.Hour)}},
			want: []string{"auth.apiKeyValue: the secret expires on 2025-03-01, today: "},
		},
		{
			name: "client certificate expires soon",
			ds: entra(func(a *fieldlink.Auth) {
				a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT
				a.ClientCertificate = soonPair.CertPEM
			}),
			want: []string{"auth.clientCertificate: the certificate expires on 2025-03-11, in 10 days: create a new certificate"},
		},
		{
			name: "tls certificate expired",
			ds:   fieldlink.Datasource{Auth: fieldlink.Auth{Mode: fieldlink.AuthNone, TLSClientCertificate: expiredPair.CertPEM}},
			want: []string{"auth.tlsClientCertificate: the certificate expired on 2025-02-28, so requests fail"},
		},
		{
			name: "certificates expire later",
			ds: entra(func(a *fieldlink.Auth) {
				a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT
				a.ClientCertificate = laterPair.CertPEM
				a.TLSClientCertificate = laterPair.CertPEM
			}),
		},
		{
			name: "several problems",
			ds: entra(func(a *fieldlink.Auth) {
				a.TokenURL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
				a.ClientSecret = "3F2B1C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D"
				a.Scopes = []string{"User.Read"}
			}),
			want: []string{"auth.clientSecret looks like a GUID", `auth.tokenUrl uses "common"`, `auth.scopes[0] "User.Read" does not end in /.default`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Warnings(tt.ds, now)

			if len(got) != len(tt.want) {
				t.Fatalf("Warnings = %q, want %d warnings starting with %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("warning %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
				if strings.Contains(got[i], tt.ds.Auth.ClientSecret) && tt.ds.Auth.ClientSecret != "" {
					t.Errorf("warning %d = %q contains the client secret", i, got[i])
				}
			}
		})
	}
}
