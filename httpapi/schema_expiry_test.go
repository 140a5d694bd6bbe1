package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		raw     string
		want    time.Time
		wantErr string
	}{
		{raw: "", want: time.Time{}},
		{raw: "2027-01-31", want: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{raw: "2027-01-31T12:30:00.5+02:00", want: time.Date(2027, 1, 31, 10, 30, 0, 500_000_000, time.UTC)},
		{raw: "31/01/2027", wantErr: `auth.secretExpiresAt "31/01/2027" is not a date`},
		{raw: "0000-01-01T00:00:00+01:00", wantErr: `auth.secretExpiresAt "0000-01-01T00:00:00+01:00" is out of range`},
		{raw: "9999-12-31T23:00:00-02:00", wantErr: `auth.secretExpiresAt "9999-12-31T23:00:00-02:00" is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := parseExpiry(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseExpiry(%q) = %v, %v; want an error containing %q", tt.raw, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseExpiry(%q): %v", tt.raw, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parseExpiry(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestDatasourceBodyKeepsSecretExpiry(t *testing.T) {
	expiresAt := time.Date(2027, 1, 31, 10, 30, 0, 500_000_000, time.UTC)
	ds := fieldlink.Datasource{Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, SecretExpiresAt: expiresAt}}

	shown := datasourceToBody(ds, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)).Auth.SecretExpiresAt
	got, err := parseExpiry(shown)
	if err != nil {
		t.Fatalf("parse the shown expiry %q: %v", shown, err)
	}
	if !got.Equal(expiresAt) {
		t.Errorf("the shown expiry %q reads back as %v, want %v", shown, got, expiresAt)
	}
}
