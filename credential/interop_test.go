package credential_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
	"golang.org/x/crypto/bcrypt"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
)

// interopSecret contains every character that form encoding changes or that
// separates the parts of Basic credentials.
const interopSecret = "a+b/c:d=e%f~g"

// authorizationServer is an ory/fosite authorization server with the client
// credentials grant and token introspection, on an httptest loopback server.
type authorizationServer struct {
	*httptest.Server
	provider fosite.OAuth2Provider
}

// Keys of the private_key_jwt clients. The RSA client is registered with the
// public key of the PKCS #8 test key, and the PKCS #1 test key is another
// RSA key that the server does not know.
var (
	interopRSAKeyFormat   = credential.RSAPKCS8
	interopOtherKeyFormat = credential.RSAPKCS1
	interopECKeyFormat    = credential.ECPKCS8
)

// newAuthorizationServer starts fosite with two clients that share
// interopSecret: "header-client" accepts only client_secret_basic and
// "body-client" only client_secret_post (OpenID Connect Dynamic Client
// Registration §2, token_endpoint_auth_method). Two more clients accept only
// private_key_jwt: "rsa-jwt-client" with RS256 and "ec-jwt-client" with
// ES256, each with the public key of its test key pair as its JWK Set.
func newAuthorizationServer(t *testing.T) *authorizationServer {
	t.Helper()

	// The lowest bcrypt cost keeps the test fast; fosite compares any cost.
	hash, err := bcrypt.GenerateFromPassword([]byte(interopSecret), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("hash secret: %v", err)
	}
	store := storage.NewMemoryStore()
	for id, method := range map[string]string{
		"header-client": "client_secret_basic",
		"body-client":   "client_secret_post",
	} {
		store.Clients[id] = &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{
				ID:         id,
				Secret:     hash,
				GrantTypes: []string{"client_credentials"},
				Scopes:     []string{"directory.read", "tickets.write"},
			},
			TokenEndpointAuthMethod: method,
		}
	}
	for id, c := range map[string]struct{ format, alg string }{
		"rsa-jwt-client": {interopRSAKeyFormat, "RS256"},
		"ec-jwt-client":  {interopECKeyFormat, "ES256"},
	} {
		pair := credential.NewTestKeyPair(t, c.format, credential.InAYear())
		store.Clients[id] = &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{
				ID:         id,
				GrantTypes: []string{"client_credentials"},
				Scopes:     []string{"directory.read", "tickets.write"},
			},
			JSONWebKeys: &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
				{Key: pair.Key.Public(), Use: "sig", Algorithm: c.alg},
			}},
			TokenEndpointAuthMethod:           "private_key_jwt",
			TokenEndpointAuthSigningAlgorithm: c.alg,
		}
	}

	config := &fosite.Config{
		AccessTokenLifespan: time.Hour,
		GlobalSecret:        []byte("fosite-interop-global-secret-32b"),
	}
	provider := compose.Compose(config, store, compose.NewOAuth2HMACStrategy(config),
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)

	as := &authorizationServer{provider: provider}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", as.token)
	mux.HandleFunc("GET /api/me", as.api)
	as.Server = httptest.NewServer(mux)
	t.Cleanup(as.Close)

	// fosite accepts a client assertion only when its aud is this URL.
	config.TokenURL = as.URL + "/oauth2/token"
	return as
}

func (as *authorizationServer) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	request, err := as.provider.NewAccessRequest(ctx, r, new(fosite.DefaultSession))
	if err != nil {
		as.provider.WriteAccessError(ctx, w, request, err)
		return
	}
	for _, scope := range request.GetRequestedScopes() {
		request.GrantScope(scope)
	}

	response, err := as.provider.NewAccessResponse(ctx, request)
	if err != nil {
		as.provider.WriteAccessError(ctx, w, request, err)
		return
	}
	as.provider.WriteAccessResponse(ctx, w, request, response)
}

// api accepts a request only with a bearer token that fosite issued.
func (as *authorizationServer) api(w http.ResponseWriter, r *http.Request) {
	token := fosite.AccessTokenFromRequest(r)
	_, _, err := as.provider.IntrospectToken(r.Context(), token, fosite.AccessToken, new(fosite.DefaultSession), "directory.read")
	if err != nil {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	w.Write([]byte(`{"id":"me"}`))
}

func interopDatasource(as *authorizationServer, clientID, clientAuth, secret string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:      "ds-" + clientID + "-" + clientAuth,
		BaseURL: as.URL + "/api",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             as.URL + "/oauth2/token",
			ClientID:             clientID,
			ClientSecret:         secret,
			ClientAuthentication: clientAuth,
			Scopes:               []string{"directory.read", "tickets.write"},
		},
	}
}

// interopJWTDatasource returns a private_key_jwt datasource for clientID
// whose certificate and key are the test key pair of keyFormat.
func interopJWTDatasource(t *testing.T, as *authorizationServer, clientID, keyFormat string) fieldlink.Datasource {
	t.Helper()
	pair := credential.NewTestKeyPair(t, keyFormat, credential.InAYear())
	ds := interopDatasource(as, clientID, fieldlink.ClientAuthPrivateKeyJWT, "")
	ds.Auth.ClientCertificate = pair.CertPEM
	ds.Auth.ClientPrivateKey = pair.KeyPEM
	ds.Auth.SendX5T = true
	return ds
}

func newInteropCache() *credential.Cache {
	return credential.NewCache(outbound.New(outbound.Options{AllowLoopback: true}).For, nil)
}

func TestFositeIssuesTokens(t *testing.T) {
	as := newAuthorizationServer(t)
	tests := []struct {
		name string
		ds   fieldlink.Datasource
	}{
		{"header", interopDatasource(as, "header-client", fieldlink.ClientAuthHeader, interopSecret)},
		{"body", interopDatasource(as, "body-client", fieldlink.ClientAuthBody, interopSecret)},
		{"private_key_jwt rsa", interopJWTDatasource(t, as, "rsa-jwt-client", interopRSAKeyFormat)},
		{"private_key_jwt ec", interopJWTDatasource(t, as, "ec-jwt-client", interopECKeyFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := tt.ds
			authorizer, err := newInteropCache().Authorizer(ds)
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}

			info, err := authorizer.(credential.TokenFetcher).FetchToken(t.Context())
			if err != nil {
				t.Fatalf("FetchToken: %v", err)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ds.BaseURL+"/me", nil)
			if err != nil {
				t.Fatalf("new request: %v", err)
			}
			if err := authorizer.Authorize(t.Context(), req); err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("call API: %v", err)
			}
			resp.Body.Close()

			if info.Type != "Bearer" {
				t.Errorf("token type = %q, want Bearer", info.Type)
			}
			if info.Scope != "directory.read tickets.write" {
				t.Errorf("granted scope = %q, want %q", info.Scope, "directory.read tickets.write")
			}
			if info.Expiry.IsZero() {
				t.Error("token has no expiry, want one from expires_in")
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("API status = %d, want 200 for a token fosite issued", resp.StatusCode)
			}
		})
	}
}

func TestFositeRejectsWrongSecret(t *testing.T) {
	as := newAuthorizationServer(t)
	ds := interopDatasource(as, "body-client", fieldlink.ClientAuthBody, "a+b/c:d=e%f~WRONG")
	authorizer, err := newInteropCache().Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	_, err = authorizer.(credential.TokenFetcher).FetchToken(t.Context())

	var tokenErr *credential.TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("FetchToken error = %v, want *credential.TokenError", err)
	}
	if tokenErr.Code != "invalid_client" {
		t.Errorf("Code = %q, want invalid_client", tokenErr.Code)
	}
	if tokenErr.Status != http.StatusUnauthorized {
		t.Errorf("Status = %d, want 401", tokenErr.Status)
	}
	if strings.Contains(err.Error(), "WRONG") {
		t.Errorf("message %q contains the secret", err)
	}
}

func TestFositeRejectsOtherAuthStyle(t *testing.T) {
	as := newAuthorizationServer(t)
	// header-client accepts only Basic credentials. An auto-detecting client
	// would retry in the header and succeed, hiding the wrong setting.
	ds := interopDatasource(as, "header-client", fieldlink.ClientAuthBody, interopSecret)
	authorizer, err := newInteropCache().Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	_, err = authorizer.(credential.TokenFetcher).FetchToken(t.Context())

	var tokenErr *credential.TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("FetchToken error = %v, want *credential.TokenError", err)
	}
	if tokenErr.Code != "invalid_client" {
		t.Errorf("Code = %q, want invalid_client", tokenErr.Code)
	}
}

func TestFositeRejectsWrongAssertionKey(t *testing.T) {
	as := newAuthorizationServer(t)
	ds := interopJWTDatasource(t, as, "rsa-jwt-client", interopOtherKeyFormat)
	authorizer, err := newInteropCache().Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	_, err = authorizer.(credential.TokenFetcher).FetchToken(t.Context())

	var tokenErr *credential.TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("FetchToken error = %v, want *credential.TokenError", err)
	}
	if tokenErr.Code != "invalid_client" {
		t.Errorf("Code = %q, want invalid_client", tokenErr.Code)
	}
	if hint := credential.HintFor(err, ds.Auth); !strings.Contains(hint, "private_key_jwt") {
		t.Errorf("HintFor = %q, want it to name private_key_jwt", hint)
	}
}

func TestFositeRejectsAssertionForSecretClient(t *testing.T) {
	as := newAuthorizationServer(t)
	// body-client is registered for client_secret_post only.
	ds := interopJWTDatasource(t, as, "body-client", interopRSAKeyFormat)
	authorizer, err := newInteropCache().Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	_, err = authorizer.(credential.TokenFetcher).FetchToken(t.Context())

	var tokenErr *credential.TokenError
	if !errors.As(err, &tokenErr) || tokenErr.Code != "invalid_client" {
		t.Errorf("FetchToken error = %v, want invalid_client", err)
	}
}
