package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/oidc"
)

func TestExchangeErrorHidesEchoedSecret(t *testing.T) {
	const secret = "oidc-client-secret-echoed-9b3f"
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
		})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sent := r.PostForm.Get("client_secret")
		if _, password, ok := r.BasicAuth(); ok {
			sent, _ = url.QueryUnescape(password)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{
			"error":             "invalid_client " + sent,
			"error_description": "secret " + sent + " is wrong; Authorization: " + r.Header.Get("Authorization"),
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL
	rp := newRelyingParty(t, issuer, secret)

	_, err := rp.Exchange(context.Background(), "code-1", "verifier", "nonce")

	if !errors.Is(err, oidc.ErrTokenExchange) {
		t.Fatalf("Exchange error = %v, want ErrTokenExchange", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), url.QueryEscape(secret)) {
		t.Errorf("Exchange error %q contains the client secret", err)
	}
	credentials := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + url.QueryEscape(secret)))
	if strings.Contains(err.Error(), credentials) {
		t.Errorf("Exchange error %q contains the Authorization header", err)
	}
	if !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("Exchange error %q lacks the provider's error code", err)
	}
}
