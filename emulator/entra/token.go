package entra

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// maxFormBytes bounds the body of a token request. Real requests are well
// under 1 KiB.
const maxFormBytes = 64 << 10

// tokenResponse is a successful token response, with the fields in the order
// Entra ID writes them.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// serveToken handles a request to the token endpoint of tenant. It checks the
// request in the order Entra ID reports problems: method, tenant, grant type,
// resource parameter, client ID, scope, application, client credential,
// resource.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		s.writeError(w, r, errMethodNotAllowed(r.Method))
		return
	}

	metaTenant := isMetaTenant(tenant)
	if !metaTenant && (s.opts.TenantID == "" || !strings.EqualFold(tenant, s.opts.TenantID)) {
		s.writeError(w, r, errTenantNotFound(tenant))
		return
	}

	// Only the body counts, as in Entra ID: parameters in the query string
	// are ignored. A body that is not form-encoded leaves PostForm empty.
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, errMissingParameter("grant_type"))
		return
	}

	grantType := r.PostForm.Get("grant_type")
	if grantType == "" {
		s.writeError(w, r, errMissingParameter("grant_type"))
		return
	}
	if grantType != "client_credentials" {
		s.writeError(w, r, errUnsupportedGrantType(grantType))
		return
	}

	if metaTenant {
		s.writeError(w, r, errTenantNotIdentified())
		return
	}

	// The v1.0 endpoint took the resource as its own parameter. The v2.0
	// endpoint rejects it even when the scope is also right.
	if _, sent := r.PostForm["resource"]; sent {
		s.writeError(w, r, errResourceParameter())
		return
	}

	creds, credErr := readClientCredentials(r, s.opts.TenantID)
	if credErr != nil {
		s.writeError(w, r, *credErr)
		return
	}
	if creds.clientID == "" {
		s.writeError(w, r, errMissingParameter("client_id"))
		return
	}

	resource, scopeErr := s.parseScope(r.PostForm.Get("scope"))
	if scopeErr != nil {
		s.writeError(w, r, *scopeErr)
		return
	}

	app, ok := s.findApp(creds.clientID)
	if !ok {
		s.writeError(w, r, errApplicationNotFound(creds.clientID, s.opts.TenantID))
		return
	}

	if authErr := s.authenticateClient(r, app, creds); authErr != nil {
		s.writeError(w, r, *authErr)
		return
	}

	if !s.knownResource(resource) {
		s.writeError(w, r, errResourceNotFound(resource, s.opts.TenantID))
		return
	}

	s.issueToken(w, r, app, resource)
}

// isMetaTenant reports whether tenant is one of the names that stand for
// "any organization" rather than one tenant. The client credentials grant
// needs a real tenant, because no user signs in to choose one.
func isMetaTenant(tenant string) bool {
	return strings.EqualFold(tenant, "common") || strings.EqualFold(tenant, "organizations")
}

// authenticateClient checks the client's credential: a client assertion
// when the request has one, the client secret otherwise. RFC 6749 §2.3
// allows one authentication method per request.
func (s *Server) authenticateClient(r *http.Request, app App, creds clientCredentials) *tokenError {
	if creds.assertion == "" {
		return s.checkSecret(app, creds.secret)
	}

	if creds.secret != "" {
		return fail(errSecretAndAssertion())
	}
	if creds.assertionType == "" {
		return fail(errMissingParameter("client_assertion_type"))
	}
	if creds.assertionType != jwtBearerAssertionType {
		return fail(errUnexpectedAssertionType())
	}
	return s.checkAssertion(r, app, creds.assertion)
}

// parseScope returns the resource named by a client credentials scope, which
// must be exactly one "{resource}/.default".
func (s *Server) parseScope(scope string) (string, *tokenError) {
	scopes := strings.Fields(scope)
	switch {
	case len(scopes) == 0:
		e := errMissingParameter("scope")
		return "", &e
	case len(scopes) > 1:
		e := errIncompatibleScopes(scope)
		return "", &e
	}

	resource, ok := strings.CutSuffix(scopes[0], "/.default")
	if !ok || resource == "" {
		e := errScopeWithoutDefault(scopes[0])
		return "", &e
	}
	return resource, nil
}

func (s *Server) findApp(clientID string) (App, bool) {
	for _, app := range s.opts.Apps {
		if strings.EqualFold(app.ClientID, clientID) {
			return app, true
		}
	}
	return App{}, false
}

// checkSecret compares the sent secret with the app's secret in constant
// time, then checks that the secret has not expired.
func (s *Server) checkSecret(app App, sent string) *tokenError {
	if sent == "" {
		e := errClientSecretMissing()
		return &e
	}

	if subtle.ConstantTimeCompare([]byte(sent), []byte(app.ClientSecret)) != 1 {
		e := errInvalidClientSecret()
		if app.SecretID != "" && strings.EqualFold(sent, app.SecretID) {
			e = errSecretIDSent(app.ClientID)
		}
		return &e
	}

	if !app.SecretExpires.IsZero() && !s.opts.Now().Before(app.SecretExpires) {
		e := errClientSecretExpired(app.ClientID)
		return &e
	}
	return nil
}

// knownResource reports whether resource is one of Options.Resources,
// ignoring a trailing slash on either.
func (s *Server) knownResource(resource string) bool {
	for _, known := range s.opts.Resources {
		if strings.TrimSuffix(known, "/") == strings.TrimSuffix(resource, "/") {
			return true
		}
	}
	return false
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, app App, resource string) {
	now := s.opts.Now()
	expires := now.Add(s.opts.TokenLifetime)

	claims := accessTokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    baseURL(r) + "/" + s.opts.TenantID + "/v2.0",
			Subject:   servicePrincipalID(app.ClientID),
			ExpiresAt: jwt.NewNumericDate(expires),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        newGUID(),
		},
		Aud:                strings.TrimSuffix(resource, "/"),
		TenantID:           s.opts.TenantID,
		AppID:              app.ClientID,
		AppIDACR:           "1",
		AuthorizedParty:    app.ClientID,
		AuthorizedPartyACR: "1",
		ObjectID:           servicePrincipalID(app.ClientID),
		IdentityType:       "app",
		Roles:              app.Roles,
		Version:            "2.0",
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = s.keyID
	signed, err := token.SignedString(s.key)
	if err != nil {
		s.opts.Logger.Error("entra: sign access token", "client_id", app.ClientID, "error", err)
		http.Error(w, "sign access token: see the emulator log", http.StatusInternalServerError)
		return
	}

	seconds := int(s.opts.TokenLifetime.Seconds())
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(tokenResponse{
		TokenType:    "Bearer",
		ExpiresIn:    seconds,
		ExtExpiresIn: seconds,
		AccessToken:  signed,
	})

	s.opts.Logger.Info("entra: token issued",
		"client_id", app.ClientID, "app", app.DisplayName, "resource", claims.Aud, "roles", app.Roles, "expires", expires)
}
