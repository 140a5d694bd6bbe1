// Package expiry lists when a datasource's secrets and certificates expire,
// so the API, the metrics, the log and `fieldlink doctor` warn before a
// connection breaks.
package expiry

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/fieldlink/fieldlink"
)

// WarnWithin is how long before expiry a secret or certificate is reported
// as expiring. Entra ID client secrets last at most two years, so a month
// leaves time to create a new one and roll it out.
const WarnWithin = 30 * 24 * time.Hour

// Statuses of an Entry.
const (
	StatusOK       = "ok"
	StatusExpiring = "expiring"
	StatusExpired  = "expired"
)

// Entry is one secret or certificate of a datasource and when it expires.
type Entry struct {
	DatasourceID   string
	DatasourceName string
	// Secret names the field, for example "auth.clientSecret".
	Secret    string
	ExpiresAt time.Time
}

// Status returns StatusExpired, StatusExpiring (within WarnWithin) or StatusOK.
func (e Entry) Status(now time.Time) string {
	switch left := e.ExpiresAt.Sub(now); {
	case left <= 0:
		return StatusExpired
	case left <= WarnWithin:
		return StatusExpiring
	}
	return StatusOK
}

// DaysLeft returns the calendar days (in UTC) from now to the expiry date,
// negative once that date has passed, so a secret that expires next Friday
// reads "7 days" on Friday whatever the hour.
func (e Entry) DaysLeft(now time.Time) int {
	day := func(t time.Time) time.Time {
		y, m, d := t.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return int(math.Round(day(e.ExpiresAt).Sub(day(now)).Hours() / 24))
}

// Of returns the datasource's secrets and certificates that have a known
// expiry, earliest first. That is the mode's secret when SecretExpiresAt is
// set, and every configured certificate, read from its PEM. A certificate
// that does not parse is skipped, because saving it was rejected.
func Of(ds fieldlink.Datasource) []Entry {
	var entries []Entry
	add := func(secret string, at time.Time) {
		entries = append(entries, Entry{DatasourceID: ds.ID, DatasourceName: ds.Name, Secret: secret, ExpiresAt: at})
	}

	a := ds.Auth
	if !a.SecretExpiresAt.IsZero() {
		if field := secretField(a); field != "" {
			add(field, a.SecretExpiresAt)
		}
	}
	certificates := []struct{ field, pem string }{
		{"auth.clientCertificate", a.ClientCertificate},
		{"auth.tlsClientCertificate", a.TLSClientCertificate},
		{"caBundle", ds.CABundle},
	}
	for _, c := range certificates {
		if c.pem == "" {
			continue
		}
		if at, err := CertificateExpiry(c.pem); err == nil {
			add(c.field, at)
		}
	}

	sort.SliceStable(entries, func(i, j int) bool { return entries[i].ExpiresAt.Before(entries[j].ExpiresAt) })
	return entries
}

// secretField names the secret of the datasource's auth mode, the one
// SecretExpiresAt is about.
func secretField(a fieldlink.Auth) string {
	switch a.Mode {
	case fieldlink.AuthBasic:
		return "auth.password"
	case fieldlink.AuthBearer:
		return "auth.token"
	case fieldlink.AuthAPIKey:
		return "auth.apiKeyValue"
	case fieldlink.AuthOAuth2ClientCredentials:
		if a.ClientAuthentication == fieldlink.ClientAuthPrivateKeyJWT {
			return "auth.clientPrivateKey"
		}
		return "auth.clientSecret"
	}
	return ""
}

// CertificateExpiry returns the earliest NotAfter of the certificates in
// pemText, or an error when it holds none that parses.
func CertificateExpiry(pemText string) (time.Time, error) {
	var earliest time.Time
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse certificate: %w", err)
		}
		if earliest.IsZero() || cert.NotAfter.Before(earliest) {
			earliest = cert.NotAfter
		}
	}
	if earliest.IsZero() {
		return time.Time{}, fmt.Errorf("no PEM certificate found: paste the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
	}
	return earliest, nil
}
