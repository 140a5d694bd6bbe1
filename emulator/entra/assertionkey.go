package entra

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
)

// matchCertificate returns the certificate whose thumbprint the assertion
// header names, and the thumbprint as sent. x5t#S256 wins over x5t when the
// header has both. It returns a nil certificate when the header names none
// or no certificate matches.
func matchCertificate(certs []*x509.Certificate, header assertionHeader) (*x509.Certificate, string) {
	sent, sum := header.X5TS256, sha256Thumbprint
	if sent == "" {
		sent, sum = header.X5T, sha1Thumbprint
	}
	if sent == "" {
		return nil, ""
	}

	want, ok := decodeThumbprint(sent)
	if !ok {
		return nil, sent
	}
	for _, cert := range certs {
		if bytes.Equal(sum(cert), want) {
			return cert, sent
		}
	}
	return nil, sent
}

func sha256Thumbprint(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	return sum[:]
}

func sha1Thumbprint(cert *x509.Certificate) []byte {
	sum := sha1.Sum(cert.Raw)
	return sum[:]
}

// decodeThumbprint decodes a thumbprint header. RFC 7515 specifies base64url
// without padding, and the padded form is decoded too because ADAL for
// Python sent it. A hex thumbprint, as the Azure portal shows it, is not
// base64url of the digest and never matches.
func decodeThumbprint(value string) ([]byte, bool) {
	for _, encoding := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding} {
		if raw, err := encoding.DecodeString(value); err == nil {
			return raw, true
		}
	}
	return nil, false
}

// keyFitsAlgorithm reports whether key can verify a signature made with alg:
// an RSA key for RS256 and PS256, a P-256 key for ES256.
func keyFitsAlgorithm(key any, alg string) bool {
	switch alg {
	case "RS256", "PS256":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES256":
		ec, ok := key.(*ecdsa.PublicKey)
		return ok && ec.Curve == elliptic.P256()
	}
	return false
}
