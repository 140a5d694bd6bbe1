package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"
)

// Key formats that newTestKeyPair writes.
const (
	rsaPKCS1 = "rsa-pkcs1"
	rsaPKCS8 = "rsa-pkcs8"
	ecSEC1   = "ec-sec1"
	ecPKCS8  = "ec-pkcs8"
)

// testKeyPair is a private key generated for a test and a self-signed
// certificate for it, both also as PEM.
type testKeyPair struct {
	CertPEM, KeyPEM string
	Cert            *x509.Certificate
	Key             crypto.Signer
}

// testKeys keeps one generated key per format, because RSA key generation
// is slow; every call still makes a new certificate.
var testKeys struct {
	sync.Mutex
	byFormat map[string]crypto.Signer
}

func testKey(t testing.TB, format string) crypto.Signer {
	t.Helper()
	testKeys.Lock()
	defer testKeys.Unlock()
	if key, ok := testKeys.byFormat[format]; ok {
		return key
	}

	var key crypto.Signer
	var err error
	switch format {
	case rsaPKCS1, rsaPKCS8:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case ecSEC1, ecPKCS8:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("unknown key format %q", format)
	}
	if err != nil {
		t.Fatalf("generate %s key: %v", format, err)
	}
	if testKeys.byFormat == nil {
		testKeys.byFormat = make(map[string]crypto.Signer)
	}
	testKeys.byFormat[format] = key
	return key
}

// newTestKeyPair returns a key in format and a self-signed certificate for
// it that expires at notAfter.
func newTestKeyPair(t testing.TB, format string, notAfter time.Time) testKeyPair {
	t.Helper()
	key := testKey(t, format)
	cert, certPEM := selfSignedCertificate(t, key, "fieldlink-test-"+format, notAfter)
	return testKeyPair{CertPEM: certPEM, KeyPEM: encodeKey(t, key, format), Cert: cert, Key: key}
}

func selfSignedCertificate(t testing.TB, key crypto.Signer, commonName string, notAfter time.Time) (*x509.Certificate, string) {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    notAfter.Add(-365 * 24 * time.Hour),
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
	return cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func encodeKey(t testing.TB, key crypto.Signer, format string) string {
	t.Helper()
	var block *pem.Block
	switch format {
	case rsaPKCS1:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))}
	case ecSEC1:
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatalf("marshal EC key: %v", err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("marshal PKCS #8 key: %v", err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return string(pem.EncodeToMemory(block))
}

// inAYear is a certificate expiry that no test reaches.
func inAYear() time.Time {
	return time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second)
}

func mustRSAKey(t *testing.T, bits int) crypto.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return key
}

func mustECKey(t *testing.T, curve elliptic.Curve) crypto.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatalf("generate EC key: %v", err)
	}
	return key
}

func mustEd25519Key(t *testing.T) crypto.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate Ed25519 key: %v", err)
	}
	return key
}
