package expiry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// certificatePEM returns a self-signed certificate valid until notAfter.
func certificatePEM(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fieldlink test"},
		NotBefore:    notAfter.Add(-365 * 24 * time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestOfListsSecretsAndCertificates(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	secretAt := now.Add(10 * 24 * time.Hour)
	certAt := now.Add(400 * 24 * time.Hour).Truncate(time.Second)
	ds := fieldlink.Datasource{ID: "ds_1", Name: "Graph", Auth: fieldlink.Auth{
		Mode: fieldlink.AuthOAuth2ClientCredentials, ClientAuthentication: fieldlink.ClientAuthBody,
		ClientSecret: "s", SecretExpiresAt: secretAt, TLSClientCertificate: certificatePEM(t, certAt),
	}}

	got := Of(ds)

	want := []Entry{
		{DatasourceID: "ds_1", DatasourceName: "Graph", Secret: "auth.clientSecret", ExpiresAt: secretAt},
		{DatasourceID: "ds_1", DatasourceName: "Graph", Secret: "auth.tlsClientCertificate", ExpiresAt: certAt},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("entries (-got +want):\n%s", diff)
	}
}

func TestStatusAndDaysLeft(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		at     time.Time
		status string
		days   int
	}{
		{"expired yesterday", now.Add(-24 * time.Hour), StatusExpired, -1},
		{"in ten days", now.Add(10 * 24 * time.Hour), StatusExpiring, 10},
		{"on the boundary", now.Add(WarnWithin), StatusExpiring, 30},
		{"in a year", now.Add(365 * 24 * time.Hour), StatusOK, 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{ExpiresAt: tt.at}
			if got := e.Status(now); got != tt.status {
				t.Errorf("Status = %q, want %q", got, tt.status)
			}
			if got := e.DaysLeft(now); got != tt.days {
				t.Errorf("DaysLeft = %d, want %d", got, tt.days)
			}
		})
	}
}

func TestCertificateExpiryEarliest(t *testing.T) {
	early := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	late := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	bundle := certificatePEM(t, late) + certificatePEM(t, early)

	got, err := CertificateExpiry(bundle)

	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(early) {
		t.Errorf("expiry = %s, want the earliest %s", got, early)
	}
}

func TestCertificateExpiryNoCertificate(t *testing.T) {
	_, err := CertificateExpiry("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")

	if err == nil || !strings.Contains(err.Error(), "no PEM certificate found") {
		t.Errorf("error = %v, want one saying no certificate was found", err)
	}
}

func TestDaysLeftCountsCalendarDays(t *testing.T) {
	now := time.Date(2026, 12, 4, 20, 49, 0, 0, time.UTC)
	e := Entry{ExpiresAt: time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)}

	if got := e.DaysLeft(now); got != 7 {
		t.Errorf("DaysLeft = %d, want 7 for a date one week ahead", got)
	}
}
