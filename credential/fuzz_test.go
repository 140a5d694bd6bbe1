package credential

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fieldlink/fieldlink"
)

// FuzzTokenLifetime reads expires_in from any token response body, as
// expiresInCheck does. The lifetime is never negative nor past
// math.MaxInt32 seconds, and a failure is an *ExpiresInError.
func FuzzTokenLifetime(f *testing.F) {
	seeds := []struct{ contentType, body string }{
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":3599}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":"3599"}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer"}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":null}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":0}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":600,"ext_expires_in":7200}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":true}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":-1}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":1e3}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":99999999999999999999}`},
		{"application/json", `{"access_token":"a","token_type":"Bearer","expires_in":" 12 "}`},
		{"application/json; charset=utf-8", `{"expires_in":{"seconds":1}}`},
		{"application/x-www-form-urlencoded", `access_token=a&token_type=Bearer&expires_in=1200`},
		{"application/x-www-form-urlencoded", `access_token=a&token_type=Bearer`},
		{"text/plain", `expires_in=%zz`},
		{"", `[]`},
	}
	for _, s := range seeds {
		f.Add(s.contentType, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		lifetime, _, err := tokenLifetime(expiresInMember(contentType, body))
		if err != nil {
			var expiresErr *ExpiresInError
			if !errors.As(err, &expiresErr) {
				t.Fatalf("tokenLifetime(%q) error %T %v, want *ExpiresInError", body, err, err)
			}
			_ = err.Error()
			return
		}
		if lifetime < 0 || lifetime > math.MaxInt32*time.Second {
			t.Fatalf("tokenLifetime(%q) = %v, want 0 to %d seconds", body, lifetime, math.MaxInt32)
		}
	})
}

// FuzzDecodeTokenError builds a *TokenError from any error response body, as
// the token request does after golang.org/x/oauth2 has read the error and
// error_description members. It never panics and its message never contains
// the client secret.
func FuzzDecodeTokenError(f *testing.F) {
	f.Add(401, []byte(entraInvalidSecretBody))
	f.Add(400, []byte(`{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for scope is not valid.","error_codes":[70011]}`))
	f.Add(400, []byte(`{"error":"invalid_client","error_description":"client secret `+awkwardSecret+` is wrong"}`))
	f.Add(500, []byte(`<html>`+awkwardSecret+`</html>`))
	f.Add(400, []byte(`{"error_codes":["x"],"trace_id":7}`))
	f.Add(0, []byte{})

	f.Fuzz(func(t *testing.T, status int, body []byte) {
		retrieveErr := &oauth2.RetrieveError{
			Response: &http.Response{StatusCode: status, Header: http.Header{}},
			Body:     body,
		}
		var fields struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(body, &fields) == nil {
			retrieveErr.ErrorCode = fields.Error
			retrieveErr.ErrorDescription = fields.ErrorDescription
		}

		tokenErr := decodeTokenError(retrieveErr, "http://127.0.0.1:8080/tenant-1/oauth2/v2.0/token", awkwardSecret)
		message := tokenErr.Error()
		if strings.Contains(message, awkwardSecret) {
			t.Fatalf("TokenError message %q contains the client secret", message)
		}
		_ = tokenErr.HasErrorCode(7000215)
	})
}

// FuzzValidateAuthJSON decodes any JSON into a datasource's auth settings
// and validates them. Validation returns nil or an error, never panics.
func FuzzValidateAuthJSON(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"Mode":"none"}`,
		`{"Mode":"basic","Username":"svc","Password":"p:w"}`,
		`{"Mode":"bearer","Token":"t"}`,
		`{"Mode":"api-key","APIKeyName":"X-API-Key","APIKeyValue":"k","APIKeyIn":"header"}`,
		`{"Mode":"api-key","APIKeyName":"api key","APIKeyValue":"k","APIKeyIn":"query"}`,
		`{"Mode":"oauth2-client-credentials","TokenURL":"https://login.example/tenant-1/oauth2/v2.0/token","ClientID":"11111111-2222-3333-4444-555555555555","ClientSecret":"a+b/c:d=e%f~g","ClientAuthentication":"body","Scopes":["api://fieldlink/.default"]}`,
		`{"Mode":"oauth2-client-credentials","TokenURL":"http://127.0.0.1:8080/token","ClientID":"c","ClientSecret":"s","ClientAuthentication":"header","TokenParams":{"resource":"x","grant_type":"password"}}`,
		`{"Mode":"oauth2-client-credentials","TokenURL":"::","ClientAuthentication":"private_key_jwt","Scopes":[""]}`,
		`{"Mode":"api-key","APIKeyName":"bad\nname","APIKeyIn":"cookie"}`,
		`{"Mode":"unknown"}`,
		`null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		var auth fieldlink.Auth
		if err := json.Unmarshal(data, &auth); err != nil {
			return
		}
		if err := Validate(auth); err != nil {
			_ = err.Error()
		}
	})
}
