package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// datasourceExpiring returns a datasource in JSON whose client secret
// expires at the date.
func datasourceExpiring(name string, at time.Time) string {
	return fmt.Sprintf(`{"name": %q, "baseUrl": "http://127.0.0.1:9/v1.0",
	  "auth": {"mode": "bearer", "token": "t", "secretExpiresAt": %q}}`, name, at.UTC().Format(time.RFC3339))
}

// certificatePEM returns a self-signed certificate that expires at notAfter.
func certificatePEM(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Private CA"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestDoctorFindsProblems(t *testing.T) {
	a := startAPI(t)
	now := time.Now()
	a.create("expiring.json", datasourceExpiring("Expiring Graph", now.Add(10*24*time.Hour)))
	a.create("expired.json", datasourceExpiring("Expired Graph", now.Add(-3*24*time.Hour)))
	a.create("fine.json", datasourceExpiring("Fine API", now.Add(400*24*time.Hour)))
	ca, _ := json.Marshal(certificatePEM(t, now.Add(5*24*time.Hour)))
	a.create("ca.json", `{"name": "Private CA API", "baseUrl": "http://127.0.0.1:9", "caBundle": `+string(ca)+`, "auth": {"mode": "none"}}`)
	a.warnings["Warned API"] = []string{"auth.tokenUrl uses the common tenant: use the tenant ID"}
	a.create("warned.json", `{"name": "Warned API", "baseUrl": "http://127.0.0.1:9", "auth": {"mode": "none"}}`)

	broken := a.find(a.create("broken.json", graphJSON))
	err := a.db.SetDatasourceHealth(context.Background(), broken.ID, fieldlink.DatasourceHealth{
		LastTestAt:    now,
		LastErrorAt:   now,
		LastError:     "invalid_client: AADSTS7000215 invalid client secret",
		Unhealthy:     true,
		ConfigVersion: broken.UpdatedAt,
	})
	if err != nil {
		t.Fatal(err)
	}

	out, _, err := a.run("doctor")

	if err == nil || err.Error() != "5 problems found" {
		t.Errorf("error = %v, want \"5 problems found\"", err)
	}
	for _, want := range []string{
		"Expiring Graph", "auth.token", "9 days",
		"Expired Graph", "expired 3 days ago",
		"Private CA API", "caBundle", "4 days",
		"Microsoft Graph (" + broken.ID + "): invalid_client: AADSTS7000215 invalid client secret",
		"Warned API", "auth.tokenUrl uses the common tenant: use the tenant ID",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Fine API") {
		t.Errorf("report lists a datasource without problems:\n%s", out)
	}
}

func TestDoctorNoProblems(t *testing.T) {
	a := startAPI(t)
	a.create("fine.json", datasourceExpiring("Fine API", time.Now().Add(400*24*time.Hour)))
	a.create("graph.json", graphJSON)

	out, _, err := a.run("doctor")

	if err != nil {
		t.Errorf("doctor: %v, want exit status 0", err)
	}
	if out != "no problems found\n" {
		t.Errorf("output = %q, want \"no problems found\"", out)
	}
}

func TestDoctorWithin(t *testing.T) {
	a := startAPI(t)
	a.create("later.json", datasourceExpiring("Later API", time.Now().Add(45*24*time.Hour)))
	tests := []struct {
		within   string
		problems bool
	}{
		{"30d", false},
		{"60d", true},
		{"1440h", true},
		{"720h", false},
	}
	for _, tt := range tests {
		t.Run(tt.within, func(t *testing.T) {
			out, _, err := a.run("doctor", "--within", tt.within)

			if got := err != nil; got != tt.problems {
				t.Errorf("doctor --within %s: error %v, want problems %v", tt.within, err, tt.problems)
			}
			if got := strings.Contains(out, "Later API"); got != tt.problems {
				t.Errorf("report lists Later API: %v, want %v\n%s", got, tt.problems, out)
			}
		})
	}
}

func TestParseWithin(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"0d", 0, false},
		{"72h", 72 * time.Hour, false},
		{"1h30m", 90 * time.Minute, false},
		{"-1d", 0, true},
		{"-5h", 0, true},
		{"3w", 0, true},
		{"d", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseWithin(tt.in)

			if (err != nil) != tt.wantErr {
				t.Fatalf("parseWithin(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseWithin(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
