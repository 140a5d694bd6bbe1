package credential

import (
	"crypto"
	"crypto/elliptic"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink"
)

func privateKeyJWTDatasource(tokenURL string, pair testKeyPair, sendX5T bool) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:   "ds-cert",
		Name: "Graph with certificate",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             tokenURL,
			ClientID:             "client-1",
			ClientAuthentication: fieldlink.ClientAuthPrivateKeyJWT,
			ClientCertificate:    pair.CertPEM,
			ClientPrivateKey:     pair.KeyPEM,
			SendX5T:              sendX5T,
			Scopes:               []string{"https://graph.microsoft.com/.default"},
			TokenParams:          map[string]string{"audience": "api://tickets"},
		},
	}
}

// assertionVerifier checks private_key_jwt token requests as an
// authorization server does, with the certificate's public key, and records
// each assertion's jti.
type assertionVerifier struct {
	tokenURL string
	pair     testKeyPair
	alg      string
	sendX5T  bool

	mu   sync.Mutex
	jtis []string
}

func (v *assertionVerifier) check(r *http.Request, body string) error {
	if got := r.Header.Get("Authorization"); got != "" {
		return fmt.Errorf("Authorization = %q, want none", got)
	}
	form, err := parseForm(r, body)
	if err != nil {
		return err
	}
	if err := checkGrant(form, "https://graph.microsoft.com/.default"); err != nil {
		return err
	}
	wantForm := map[string]string{
		"client_id":             "client-1",
		"client_secret":         "",
		"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		"audience":              "api://tickets",
	}
	for name, want := range wantForm {
		if got := form.Get(name); got != want {
			return fmt.Errorf("form %s = %q, want %q", name, got, want)
		}
	}

	assertion := form.Get("client_assertion")
	token, err := jwt.NewParser(
		jwt.WithValidMethods([]string{v.alg}),
		jwt.WithAudience(v.tokenURL),
		jwt.WithIssuer("client-1"),
		jwt.WithSubject("client-1"),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
	).ParseWithClaims(assertion, jwt.MapClaims{}, func(*jwt.Token) (any, error) {
		return v.pair.Cert.PublicKey, nil
	})
	if err != nil {
		return fmt.Errorf("verify client assertion: %w", err)
	}
	if err := v.checkHeader(token.Header); err != nil {
		return err
	}
	return v.checkClaims(assertion)
}

func (v *assertionVerifier) checkHeader(header map[string]any) error {
	sum256 := sha256.Sum256(v.pair.Cert.Raw)
	sum1 := sha1.Sum(v.pair.Cert.Raw)
	want := map[string]any{
		"alg":      v.alg,
		"typ":      "JWT",
		"x5t#S256": base64.RawURLEncoding.EncodeToString(sum256[:]),
	}
	if v.sendX5T {
		want["x5t"] = base64.RawURLEncoding.EncodeToString(sum1[:])
	}
	if fmt.Sprint(header) != fmt.Sprint(want) {
		return fmt.Errorf("header = %v, want %v", header, want)
	}
	return nil
}

// checkClaims reads the payload as JSON, because the parser accepts an aud
// array where RFC 7523 servers such as Entra ID expect the token URL as a
// string.
func (v *assertionVerifier) checkClaims(assertion string) error {
	parts := strings.Split(assertion, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	var claims struct {
		Aud any    `json:"aud"`
		JTI string `json:"jti"`
		IAT int64  `json:"iat"`
		NBF int64  `json:"nbf"`
		EXP int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("parse payload %s: %w", payload, err)
	}

	switch {
	case claims.Aud != v.tokenURL:
		return fmt.Errorf("aud = %#v, want the string %q", claims.Aud, v.tokenURL)
	case claims.JTI == "":
		return errors.New("jti is empty")
	case claims.NBF != claims.IAT:
		return fmt.Errorf("nbf = %d, want iat %d", claims.NBF, claims.IAT)
	case claims.EXP-claims.IAT != 300:
		return fmt.Errorf("exp - iat = %d seconds, want 300", claims.EXP-claims.IAT)
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	v.jtis = append(v.jtis, claims.JTI)
	return nil
}

func TestPrivateKeyJWTAssertion(t *testing.T) {
	tests := []struct {
		format  string
		alg     string
		sendX5T bool
	}{
		{format: rsaPKCS1, alg: "RS256"},
		{format: rsaPKCS8, alg: "RS256", sendX5T: true},
		{format: ecSEC1, alg: "ES256"},
		{format: ecPKCS8, alg: "ES256", sendX5T: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s x5t %v", tt.format, tt.sendX5T), func(t *testing.T) {
			pair := newTestKeyPair(t, tt.format, inAYear())
			te := newTokenEndpoint(t, 3600)
			tokenURL := te.URL + "/tenant-1/oauth2/v2.0/token"
			verifier := &assertionVerifier{tokenURL: tokenURL, pair: pair, alg: tt.alg, sendX5T: tt.sendX5T}
			te.check = verifier.check
			authorizer, err := NewCache(loopbackClients(), nil).Authorizer(privateKeyJWTDatasource(tokenURL, pair, tt.sendX5T))
			if err != nil {
				t.Fatalf("Authorizer: %v", err)
			}

			for range 2 {
				if _, err := authorizer.(TokenFetcher).FetchToken(t.Context()); err != nil {
					t.Fatalf("FetchToken: %v (endpoint: %v)", err, te.checkError())
				}
			}

			if err := te.checkError(); err != nil {
				t.Fatalf("token request: %v", err)
			}
			if len(verifier.jtis) != 2 || verifier.jtis[0] == verifier.jtis[1] {
				t.Errorf("jti values = %q, want two different ones", verifier.jtis)
			}
		})
	}
}

func TestPrivateKeyJWTNoSecretSent(t *testing.T) {
	pair := newTestKeyPair(t, ecPKCS8, inAYear())
	te := newTokenEndpoint(t, 3600)
	te.check = func(r *http.Request, body string) error {
		if strings.Contains(body, "client_secret") {
			return fmt.Errorf("form %q carries client_secret", body)
		}
		return nil
	}
	ds := privateKeyJWTDatasource(te.URL+"/token", pair, false)
	// A secret left over from header or body authentication stays unsent.
	ds.Auth.ClientSecret = awkwardSecret
	authorizer, err := NewCache(loopbackClients(), nil).Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}

	if got := authorizationHeader(t, authorizer); got != "Bearer token-1" {
		t.Errorf("Authorization = %q, want Bearer token-1", got)
	}
	if err := te.checkError(); err != nil {
		t.Errorf("token request: %v", err)
	}
}

func TestValidatePrivateKeyJWT(t *testing.T) {
	now := time.Now()
	rsaPair := newTestKeyPair(t, rsaPKCS8, inAYear())
	ecPair := newTestKeyPair(t, ecSEC1, inAYear())
	expired := newTestKeyPair(t, rsaPKCS1, now.Add(-48*time.Hour).Truncate(time.Second))
	_, caPEM := selfSignedCertificate(t, testKey(t, ecPKCS8), "Some CA", inAYear())

	tests := []struct {
		name       string
		cert, key  string
		wantPrefix string // empty when valid
	}{
		{name: "rsa", cert: rsaPair.CertPEM, key: rsaPair.KeyPEM},
		{name: "ec", cert: ecPair.CertPEM, key: ecPair.KeyPEM},
		{name: "chain with ca first", cert: caPEM + rsaPair.CertPEM, key: rsaPair.KeyPEM},
		{name: "key pasted with certificate", cert: rsaPair.CertPEM, key: rsaPair.CertPEM + rsaPair.KeyPEM},
		{name: "certificate missing", key: rsaPair.KeyPEM, wantPrefix: "auth.clientCertificate is missing: "},
		{name: "key missing", cert: rsaPair.CertPEM, wantPrefix: "auth.clientPrivateKey is missing: "},
		{name: "certificate garbage", cert: "not a certificate", key: rsaPair.KeyPEM, wantPrefix: "auth.clientCertificate is not a valid certificate: no PEM certificate found"},
		{name: "key garbage", cert: rsaPair.CertPEM, key: "not a key", wantPrefix: "auth.clientPrivateKey contains no PEM private key: "},
		{name: "key of another certificate", cert: rsaPair.CertPEM, key: ecPair.KeyPEM, wantPrefix: `auth.clientPrivateKey does not belong to the certificate in auth.clientCertificate (subject "CN=fieldlink-test-rsa-pkcs8", thumbprint ` + sha1Thumbprint(rsaPair.Cert) + `)`},
		{name: "expired", cert: expired.CertPEM, key: expired.KeyPEM, wantPrefix: "auth.clientCertificate expired on " + expired.Cert.NotAfter.UTC().Format(time.RFC3339) + " (subject "},
		{name: "encrypted key", cert: rsaPair.CertPEM, key: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", wantPrefix: "auth.clientPrivateKey is encrypted with a password: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validOAuth()
			a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT
			a.ClientSecret = ""
			a.ClientCertificate = tt.cert
			a.ClientPrivateKey = tt.key

			err := Validate(a)

			if tt.wantPrefix == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fieldErr *fieldlink.Error
			if !errors.As(err, &fieldErr) {
				t.Fatalf("Validate = %v, want *fieldlink.Error", err)
			}
			if !strings.HasPrefix(fieldErr.Message, tt.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", fieldErr.Message, tt.wantPrefix)
			}
			for _, pair := range []testKeyPair{rsaPair, ecPair, expired} {
				if keyLine := strings.Split(pair.KeyPEM, "\n")[1]; strings.Contains(fieldErr.Message, keyLine) {
					t.Errorf("message %q contains key material", fieldErr.Message)
				}
			}
		})
	}
}

func TestValidatePrivateKeyJWTKeyTypes(t *testing.T) {
	tests := []struct {
		name       string
		key        func(t *testing.T) crypto.Signer
		wantPrefix string
	}{
		{name: "short rsa", key: func(t *testing.T) crypto.Signer { return mustRSAKey(t, 1024) }, wantPrefix: "auth.clientPrivateKey is a 1024-bit RSA key, shorter than the 2048 bits RS256 requires"},
		{name: "p384", key: func(t *testing.T) crypto.Signer { return mustECKey(t, elliptic.P384()) }, wantPrefix: "auth.clientPrivateKey is an EC key on curve P-384: "},
		{name: "ed25519", key: func(t *testing.T) crypto.Signer { return mustEd25519Key(t) }, wantPrefix: "auth.clientPrivateKey holds a key of type ed25519.PrivateKey, which private_key_jwt does not support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key(t)
			_, certPEM := selfSignedCertificate(t, key, "odd key", inAYear())
			a := validOAuth()
			a.ClientAuthentication = fieldlink.ClientAuthPrivateKeyJWT
			a.ClientCertificate = certPEM
			a.ClientPrivateKey = encodeKey(t, key, rsaPKCS8)

			err := Validate(a)

			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("Validate = %v, want prefix %q", err, tt.wantPrefix)
			}
		})
	}
}
