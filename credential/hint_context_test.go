package credential

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

func TestHintUsesKnownSecretExpiry(t *testing.T) {
	err := &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{entraInvalidSecret},
		Description: "AADSTS7000215: Invalid client secret provided."}
	a := fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials, ClientAuthentication: fieldlink.ClientAuthBody,
		SecretExpiresAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}

	hint := HintFor(err, a)

	if !strings.Contains(hint, "expired on 2026-11-01") {
		t.Errorf("hint = %q, want it to name the known expiry", hint)
	}
}

func TestHintNamesCertificateSHA1Thumbprint(t *testing.T) {
	pair := newTestKeyPair(t, rsaPKCS8, time.Now().Add(24*time.Hour))
	err := &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{entraAssertionSignature},
		Description: "AADSTS700027: Client assertion contains an invalid signature."}
	a := fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials, ClientAuthentication: fieldlink.ClientAuthPrivateKeyJWT,
		ClientCertificate: pair.CertPEM}
	sum := sha1.Sum(pair.Cert.Raw)

	hint := HintFor(err, a)

	if want := strings.ToUpper(hex.EncodeToString(sum[:])); !strings.Contains(hint, want) {
		t.Errorf("hint = %q, want the SHA-1 thumbprint %s the portal shows", hint, want)
	}
}
