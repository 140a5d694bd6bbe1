package credential

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// accessToken returns a JWT access token with claims, signed with a test
// key, as Entra ID issues them (RS256 there, which the decoder never checks).
func accessToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test-signing-key-of-32-bytes-len"))
	if err != nil {
		t.Fatalf("sign access token: %v", err)
	}
	return signed
}

func TestFetchTokenDecodesClaims(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  *TokenClaims
	}{
		{
			name: "entra v1 app-only token",
			token: accessToken(t, jwt.MapClaims{
				"aud":   "https://graph.microsoft.com",
				"roles": []string{"User.Read.All", "Group.Read.All"},
				"appid": "11111111-2222-3333-4444-555555555555",
				"tid":   "99999999-8888-7777-6666-555555555555",
			}),
			want: &TokenClaims{
				Audience: []string{"https://graph.microsoft.com"},
				Roles:    []string{"User.Read.All", "Group.Read.All"},
				AppID:    "11111111-2222-3333-4444-555555555555",
				TenantID: "99999999-8888-7777-6666-555555555555",
			},
		},
		{
			name: "v2 token with azp and scp",
			token: accessToken(t, jwt.MapClaims{
				"aud": []string{"api://tickets", "api://other"},
				"scp": "Tickets.Read Tickets.Write",
				"azp": "client-1",
			}),
			want: &TokenClaims{
				Audience: []string{"api://tickets", "api://other"},
				Scopes:   []string{"Tickets.Read", "Tickets.Write"},
				AppID:    "client-1",
			},
		},
		{
			name:  "opaque token",
			token: "8f3a9c0e5b1d4e7f",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := errorEndpoint(t, http.StatusOK, "application/json",
				fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":3599}`, tt.token))
			authorizer, err := NewCache(loopbackClients(), nil).Authorizer(oauthDatasource(srv.URL+"/token", fieldlink.ClientAuthBody))
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}

			info, err := authorizer.(TokenFetcher).FetchToken(t.Context())
			if err != nil {
				t.Fatalf("FetchToken: %v", err)
			}

			if diff := cmp.Diff(tt.want, info.Claims); diff != "" {
				t.Errorf("Claims (-want +got):\n%s", diff)
			}
			if strings.Contains(fmt.Sprintf("%#v", info), tt.token) {
				t.Errorf("TokenInfo %+v holds the access token", info)
			}
		})
	}
}

func TestTokenInfoDetails(t *testing.T) {
	expiry := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	info := TokenInfo{
		Type:   "Bearer",
		Expiry: expiry,
		Claims: &TokenClaims{
			Audience: []string{"https://graph.microsoft.com"},
			Roles:    []string{"User.Read.All"},
			Scopes:   []string{"Mail.Read"},
			AppID:    "client-1",
			TenantID: "tenant-1",
		},
	}

	got := info.Details()

	want := fieldlink.TokenDetails{
		Type:      "Bearer",
		ExpiresAt: expiry,
		Audience:  []string{"https://graph.microsoft.com"},
		Roles:     []string{"User.Read.All"},
		Scopes:    []string{"Mail.Read"},
		AppID:     "client-1",
		TenantID:  "tenant-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Details (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fieldlink.TokenDetails{Type: "Bearer", ExpiresAt: expiry}, TokenInfo{Type: "Bearer", Expiry: expiry}.Details()); diff != "" {
		t.Errorf("Details of an opaque token (-want +got):\n%s", diff)
	}
}

func TestIsGraphAppOnlyWithoutRoles(t *testing.T) {
	tests := []struct {
		name   string
		claims *TokenClaims
		want   bool
	}{
		{"graph uri without roles", &TokenClaims{Audience: []string{"https://graph.microsoft.com"}}, true},
		{"graph uri with slash", &TokenClaims{Audience: []string{"https://graph.microsoft.com/"}}, true},
		{"graph app id", &TokenClaims{Audience: []string{"00000003-0000-0000-c000-000000000000"}}, true},
		{"graph with roles", &TokenClaims{Audience: []string{"https://graph.microsoft.com"}, Roles: []string{"User.Read.All"}}, false},
		{"graph delegated", &TokenClaims{Audience: []string{"https://graph.microsoft.com"}, Scopes: []string{"User.Read"}}, false},
		{"other api without roles", &TokenClaims{Audience: []string{"api://tickets"}}, false},
		{"opaque token", nil, false},
	}
	for _, tt := range tests {
		if got := tt.claims.IsGraphAppOnlyWithoutRoles(); got != tt.want {
			t.Errorf("IsGraphAppOnlyWithoutRoles(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
