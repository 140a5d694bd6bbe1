package entra_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

func clientCredentialsForm(extra map[string]string) url.Values {
	form := url.Values{
		"grant_type": {"client_credentials"},
		"scope":      {graphScope},
	}
	for k, v := range extra {
		form.Set(k, v)
	}
	return form
}

func TestTokenSuccessBothAuthStyles(t *testing.T) {
	tests := []struct {
		name  string
		form  url.Values
		basic *[2]string
	}{
		{
			name: "secret in body",
			form: clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret}),
		},
		{
			name:  "secret in basic header",
			form:  clientCredentialsForm(nil),
			basic: &[2]string{url.QueryEscape(clientID), url.QueryEscape(secret)},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)

			resp, body := postForm(t, f.tokenURL(tenantID), tt.form, tt.basic, nil)

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}

			var fields map[string]any
			decodeJSON(t, body, &fields)
			token, _ := fields["access_token"].(string)
			if token == "" {
				t.Fatalf("access_token missing in %s", body)
			}
			delete(fields, "access_token")
			want := map[string]any{"token_type": "Bearer", "expires_in": 3599.0, "ext_expires_in": 3599.0}
			if diff := cmp.Diff(want, fields); diff != "" {
				t.Errorf("response fields (-want +got):\n%s", diff)
			}

			claims, err := f.server.VerifyToken(token, graphResource)
			if err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			wantClaims := entra.Claims{
				AppID:     clientID,
				TenantID:  tenantID,
				Roles:     []string{"User.Read.All"},
				ExpiresAt: f.clock.Now().Add(3599 * time.Second),
				Audience:  graphResource,
			}
			if diff := cmp.Diff(wantClaims, claims); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenJWTClaims(t *testing.T) {
	f := setup(t)
	form := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})

	_, body := postForm(t, f.tokenURL(tenantID), form, nil, nil)
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(t, body, &resp)

	parts := strings.Split(resp.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token has %d parts, want 3", len(parts))
	}
	var header, payload map[string]any
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("decode part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("unmarshal part %d: %v", i, err)
		}
	}

	if header["alg"] != "RS256" {
		t.Errorf("alg = %v, want RS256", header["alg"])
	}
	if kid, _ := header["kid"].(string); kid == "" {
		t.Errorf("kid header missing")
	}

	now := float64(f.clock.Now().Unix())
	want := map[string]any{
		"aud":   graphResource,
		"iss":   f.http.URL + "/" + tenantID + "/v2.0",
		"tid":   tenantID,
		"appid": clientID,
		"azp":   clientID,
		"roles": []any{"User.Read.All"},
		"iat":   now,
		"nbf":   now,
		"exp":   now + 3599,
		"idtyp": "app",
		"ver":   "2.0",
	}
	for name, value := range want {
		if diff := cmp.Diff(value, payload[name]); diff != "" {
			t.Errorf("claim %s (-want +got):\n%s", name, diff)
		}
	}
	if payload["oid"] == "" || payload["oid"] != payload["sub"] {
		t.Errorf("oid = %v, sub = %v: want the same non-empty service principal ID", payload["oid"], payload["sub"])
	}
}

func TestTokenLifetimeOption(t *testing.T) {
	srv := entra.New(entra.Options{
		TenantID:      tenantID,
		Apps:          []entra.App{{ClientID: clientID, ClientSecret: secret}},
		TokenLifetime: 10 * time.Minute,
	})
	f := fixture{server: srv, http: newHTTPServer(t, srv)}
	form := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})

	resp, body := postForm(t, f.tokenURL(tenantID), form, nil, nil)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, body)
	}
	var got struct {
		ExpiresIn int `json:"expires_in"`
	}
	decodeJSON(t, body, &got)
	if got.ExpiresIn != 600 {
		t.Errorf("expires_in = %d, want 600", got.ExpiresIn)
	}
}

func TestTokenTenantCaseInsensitive(t *testing.T) {
	f := setup(t)
	form := clientCredentialsForm(map[string]string{"client_id": strings.ToUpper(clientID), "client_secret": secret})

	resp, body := postForm(t, f.tokenURL(strings.ToUpper(tenantID)), form, nil, nil)

	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200; body: %s", resp.StatusCode, body)
	}
}

func TestTokenRequestsCounted(t *testing.T) {
	f := setup(t)
	good := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})
	bad := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": "wrong"})

	postForm(t, f.tokenURL(tenantID), good, nil, nil)
	postForm(t, f.tokenURL(tenantID), bad, nil, nil)
	postForm(t, f.tokenURL("other-tenant"), good, nil, nil)

	if got := f.server.TokenRequests(); got != 3 {
		t.Errorf("TokenRequests() = %d, want 3", got)
	}
}
