package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldlink/fieldlink"
)

// clientAssertionType is the client_assertion_type of a JWT client
// assertion (RFC 7523 §2.2).
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientAssertionLifetime is how long a client assertion is valid. Each
// token request signs a new one, so it only needs to outlast the request.
const clientAssertionLifetime = 5 * time.Minute

// minRSAKeyBits is the smallest RSA key RS256 may use (RFC 7518 §3.3).
const minRSAKeyBits = 2048

// assertionSigner signs the client assertions of private_key_jwt client
// authentication with the client's private key.
type assertionSigner struct {
	key    crypto.Signer
	method jwt.SigningMethod
	// x5tS256 and x5t are the base64url SHA-256 and SHA-1 thumbprints of
	// the certificate's DER encoding (RFC 7515 §4.1.8 and §4.1.7). x5t is
	// empty unless Auth.SendX5T is set.
	x5tS256, x5t string
	cert         *x509.Certificate
}

// newAssertionSigner parses a's ClientCertificate and ClientPrivateKey and
// checks that the key belongs to a certificate that has not expired at now.
// Errors are *fieldlink.Error values that name the field and never show the
// key.
func newAssertionSigner(a fieldlink.Auth, now time.Time) (*assertionSigner, error) {
	if strings.TrimSpace(a.ClientCertificate) == "" {
		return nil, invalid("auth.clientCertificate is missing: paste the certificate (PEM) whose public key is uploaded to the app registration, for private_key_jwt client authentication")
	}
	if strings.TrimSpace(a.ClientPrivateKey) == "" {
		return nil, invalid("auth.clientPrivateKey is missing: paste the certificate's private key (PEM), for private_key_jwt client authentication")
	}

	certs, err := parseCertificates(a.ClientCertificate)
	if err != nil {
		return nil, invalid("auth.clientCertificate is not a valid certificate: %v", err)
	}
	key, err := parsePrivateKey(a.ClientPrivateKey)
	if err != nil {
		return nil, err
	}

	// A pasted chain may list the CA certificates first, so the certificate
	// is the one whose public key matches the private key.
	cert := matchingCertificate(certs, key)
	if cert == nil {
		return nil, invalid("auth.clientPrivateKey does not belong to the certificate in auth.clientCertificate (%s): paste the private key that was created with this certificate", describeCertificate(certs[0]))
	}
	if now.After(cert.NotAfter) {
		return nil, invalid("auth.clientCertificate expired on %s (%s): create a new certificate, upload it to the app registration, and paste it and its private key here", cert.NotAfter.UTC().Format(time.RFC3339), describeCertificate(cert))
	}

	// NOTE: Microsoft's "certificate credentials" page specifies PS256 (RS256
	// in older versions) and names no EC algorithm, so an EC key suits other
	// OAuth 2 servers, not Entra ID.
	signer := &assertionSigner{key: key, cert: cert, method: jwt.SigningMethodRS256}
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		signer.method = jwt.SigningMethodES256
	}
	sum256 := sha256.Sum256(cert.Raw)
	signer.x5tS256 = base64.RawURLEncoding.EncodeToString(sum256[:])
	if a.SendX5T {
		sum1 := sha1.Sum(cert.Raw)
		signer.x5t = base64.RawURLEncoding.EncodeToString(sum1[:])
	}
	return signer, nil
}

// sign returns a new client assertion for clientID at the token endpoint
// audience (RFC 7523 §3): issued at now, valid for clientAssertionLifetime,
// with a unique jti so the server can reject a replay.
func (s *assertionSigner) sign(clientID, audience string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"aud": audience,
		"iss": clientID,
		"sub": clientID,
		"jti": rand.Text(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(clientAssertionLifetime).Unix(),
	}
	token := jwt.NewWithClaims(s.method, claims)
	token.Header["x5t#S256"] = s.x5tS256
	if s.x5t != "" {
		token.Header["x5t"] = s.x5t
	}

	signed, err := token.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign client assertion with the key of certificate %s: %w", sha1Thumbprint(s.cert), err)
	}
	return signed, nil
}

// parsePrivateKey reads an unencrypted RSA key (PKCS #1 or PKCS #8) of at
// least minRSAKeyBits or an EC P-256 key (SEC 1 or PKCS #8), the key types
// of RS256 and ES256.
func parsePrivateKey(pemText string) (crypto.Signer, error) {
	block := firstKeyBlock(pemText)
	if block == nil {
		return nil, invalid("auth.clientPrivateKey contains no PEM private key: paste the key as text starting with -----BEGIN PRIVATE KEY-----")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, invalid("auth.clientPrivateKey is encrypted with a password: export the key without a password, for example with openssl pkey -in key.pem -out plain.pem")
	}

	var parsed any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, invalid("auth.clientPrivateKey does not parse as a %s block: %v: paste the key again in PEM form", block.Type, err)
	}

	switch key := parsed.(type) {
	case *rsa.PrivateKey:
		if bits := key.N.BitLen(); bits < minRSAKeyBits {
			return nil, invalid("auth.clientPrivateKey is a %d-bit RSA key, shorter than the %d bits RS256 requires: create a new certificate with a %d-bit or longer key", bits, minRSAKeyBits, minRSAKeyBits)
		}
		return key, nil
	case *ecdsa.PrivateKey:
		if key.Curve != elliptic.P256() {
			return nil, invalid("auth.clientPrivateKey is an EC key on curve %s: use an RSA key or an EC key on P-256, the curve of ES256", key.Curve.Params().Name)
		}
		return key, nil
	}
	return nil, invalid("auth.clientPrivateKey holds a key of type %T, which private_key_jwt does not support: use an RSA key (RS256) or an EC P-256 key (ES256)", parsed)
}

// firstKeyBlock returns the first PEM block of pemText whose type names a
// private key, skipping certificates pasted with it.
func firstKeyBlock(pemText string) *pem.Block {
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			return block
		}
	}
}

// matchingCertificate returns the certificate whose public key is key's,
// or nil.
func matchingCertificate(certs []*x509.Certificate, key crypto.Signer) *x509.Certificate {
	public, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil
	}
	for _, cert := range certs {
		if public.Equal(cert.PublicKey) {
			return cert
		}
	}
	return nil
}

// sha1Thumbprint returns the certificate's SHA-1 thumbprint in upper-case
// hex, as Entra ID's Certificates & secrets page shows it.
func sha1Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
