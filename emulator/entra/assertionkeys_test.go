package entra_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tests generate their keys at run time, so no private key is checked
// in. Each key is made once per test binary because RSA key generation is
// slow.
var (
	rsaKey      = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
	otherRSAKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
	ecKey       = sync.OnceValue(func() *ecdsa.PrivateKey { return mustECKey(elliptic.P256()) })
)

func mustRSAKey() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("generate RSA test key: " + err.Error())
	}
	return key
}

func mustECKey(curve elliptic.Curve) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		panic("generate EC test key: " + err.Error())
	}
	return key
}

// selfSigned returns a self-signed certificate for key, valid from notBefore
// to notAfter.
func selfSigned(t *testing.T, key crypto.Signer, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()

	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("generate serial number: %v", err)
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "fieldlink test client"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return cert
}

// currentCertificate returns a certificate for key that is valid at the
// fixture's clock time.
func currentCertificate(t *testing.T, f fixture, key crypto.Signer) *x509.Certificate {
	t.Helper()
	now := f.clock.Now()
	return selfSigned(t, key, now.Add(-24*time.Hour), now.AddDate(1, 0, 0))
}

func x5tS256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func x5t(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// hexThumbprint is a SHA-256 thumbprint as Entra ID writes it in messages.
func hexThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// assertionClaims returns the claims of a valid assertion for the fixture's
// token endpoint: five minutes long, starting now, with a new jti.
func assertionClaims(f fixture) jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"aud": f.tokenURL(tenantID),
		"iss": clientID,
		"sub": clientID,
		"jti": newJTI(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}
}

func newJTI() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// signAssertion signs claims with key. header adds to or replaces the JOSE
// header fields, typically x5t#S256 or x5t.
func signAssertion(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()

	token := jwt.NewWithClaims(method, claims)
	for name, value := range header {
		token.Header[name] = value
	}
	signed, err := token.SignedString(key)
	if err != nil {
		t.Fatalf("sign assertion: %v", err)
	}
	return signed
}

// assertionForm is a client credentials request that authenticates with
// assertion.
func assertionForm(assertion string) url.Values {
	return clientCredentialsForm(map[string]string{
		"client_id":             clientID,
		"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		"client_assertion":      assertion,
	})
}
