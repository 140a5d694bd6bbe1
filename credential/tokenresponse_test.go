package credential

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// tokenFetch is the outcome of one FetchToken against a token endpoint.
type tokenFetch struct {
	info     TokenInfo
	err      error
	now      time.Time
	tokenURL string
}

// fetchTokenInfo fetches a token from an endpoint that sends body with
// contentType, at a fixed time.
func fetchTokenInfo(t *testing.T, contentType, body string) tokenFetch {
	t.Helper()
	srv := errorEndpoint(t, http.StatusOK, contentType, body)
	fetch := tokenFetch{
		tokenURL: srv.URL + "/tenant-1/oauth2/v2.0/token",
		now:      time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
	}
	cache := NewCache(loopbackClients(), nil)
	cache.now = func() time.Time { return fetch.now }
	authorizer, err := cache.Authorizer(oauthDatasource(fetch.tokenURL, fieldlink.ClientAuthBody))
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	fetch.info, fetch.err = authorizer.(TokenFetcher).FetchToken(t.Context())
	return fetch
}

func TestTokenResponseExpiresIn(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantLife    time.Duration
		wantAssumed bool
	}{
		{name: "number", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":3599}`, wantLife: 3599 * time.Second},
		{name: "numeric string", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":"3599"}`, wantLife: 3599 * time.Second},
		{name: "missing", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer"}`, wantLife: DefaultTokenLifetime, wantAssumed: true},
		{name: "null", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":null}`, wantLife: DefaultTokenLifetime, wantAssumed: true},
		{name: "zero", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":0}`, wantLife: DefaultTokenLifetime, wantAssumed: true},
		{name: "ext_expires_in ignored", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":600,"ext_expires_in":7200}`, wantLife: 600 * time.Second},
		{name: "ext_expires_in alone", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","ext_expires_in":7200}`, wantLife: DefaultTokenLifetime, wantAssumed: true},
		{name: "form encoded", contentType: "application/x-www-form-urlencoded", body: `access_token=a&token_type=Bearer&expires_in=1200`, wantLife: 1200 * time.Second},
		{name: "form encoded missing", contentType: "application/x-www-form-urlencoded", body: `access_token=a&token_type=Bearer`, wantLife: DefaultTokenLifetime, wantAssumed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := fetchTokenInfo(t, tt.contentType, tt.body)
			if fetch.err != nil {
				t.Fatalf("FetchToken: %v", fetch.err)
			}

			if want := fetch.now.Add(tt.wantLife); !fetch.info.Expiry.Equal(want) {
				t.Errorf("Expiry = %s, want %s", fetch.info.Expiry, want)
			}
			if fetch.info.ExpiryAssumed != tt.wantAssumed {
				t.Errorf("ExpiryAssumed = %v, want %v", fetch.info.ExpiryAssumed, tt.wantAssumed)
			}
		})
	}
}

func TestTokenResponseInvalidExpiresIn(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantValue   string
	}{
		{name: "negative number", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":-60}`, wantValue: "-60"},
		{name: "negative string", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":"-60"}`, wantValue: `"-60"`},
		{name: "text", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":"one hour"}`, wantValue: `"one hour"`},
		{name: "fraction", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":3599.5}`, wantValue: "3599.5"},
		{name: "boolean", contentType: "application/json", body: `{"access_token":"a","token_type":"Bearer","expires_in":true}`, wantValue: "true"},
		{name: "form text", contentType: "application/x-www-form-urlencoded", body: `access_token=a&token_type=Bearer&expires_in=soon`, wantValue: `"soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := fetchTokenInfo(t, tt.contentType, tt.body)
			err, tokenURL := fetch.err, fetch.tokenURL

			var expiresInErr *ExpiresInError
			if !errors.As(err, &expiresInErr) {
				t.Fatalf("FetchToken error = %v, want *ExpiresInError", err)
			}
			if expiresInErr.Value != tt.wantValue {
				t.Errorf("Value = %s, want %s", expiresInErr.Value, tt.wantValue)
			}
			if !strings.Contains(err.Error(), "fetch token from "+tokenURL+": ") {
				t.Errorf("message %q does not name the token URL", err)
			}
			if !strings.Contains(err.Error(), "invalid expires_in "+tt.wantValue) {
				t.Errorf("message %q does not name the value", err)
			}
			if hint := Hint(err); !strings.Contains(hint, "expires_in") {
				t.Errorf("Hint = %q, want the expires_in advice", hint)
			}
			if IsConfigError(err) {
				t.Error("IsConfigError = true, want false for a server fault")
			}
		})
	}
}

func TestTokenLifetimeCap(t *testing.T) {
	lifetime, present, err := tokenLifetime(float64(1 << 40))

	if err != nil || !present {
		t.Fatalf("tokenLifetime = %v, %v, want a lifetime", present, err)
	}
	if want := time.Duration(1<<31-1) * time.Second; lifetime != want {
		t.Errorf("lifetime = %s, want the cap %s", lifetime, want)
	}
}
