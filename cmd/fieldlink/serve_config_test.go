package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeRejectsBadPublicURL(t *testing.T) {
	tests := []struct {
		publicURL string
		want      string
	}{
		{"fieldlink.example.com", "must start with https://"},
		{"ftp://fieldlink.example.com", "must start with https://"},
		{"https://", "has no host name"},
		{"https://ana:MARKER-pw-41c9@fieldlink.example.com", "must not contain a user name or password"},
		{"https://fieldlink.example.com/jira?x=1", "must not have a query or fragment"},
		{"https://fieldlink.example.com/#top", "must not have a query or fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.publicURL, func(t *testing.T) {
			dataDir := t.TempDir()
			cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", dataDir, "--public-url", tt.publicURL)
			cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+durabilityToken)

			out, err := cmd.CombinedOutput()

			if err == nil {
				t.Fatalf("serve started with --public-url %q:\n%s", tt.publicURL, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("error does not say %q:\n%s", tt.want, out)
			}
			if !strings.Contains(string(out), "https://fieldlink.example.com") {
				t.Errorf("error gives no example of a valid public URL:\n%s", out)
			}
			if strings.Contains(string(out), "MARKER-pw-41c9") {
				t.Errorf("error shows the password in the public URL:\n%s", out)
			}
			for _, name := range []string{"fieldlink.db", "master.key"} {
				if _, err := os.Stat(filepath.Join(dataDir, name)); err == nil {
					t.Errorf("serve created %s before rejecting --public-url", name)
				}
			}
		})
	}
}

func TestServeRejectsUnknownDatabaseScheme(t *testing.T) {
	dataDir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", dataDir, "--database", "mysql://x")
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+durabilityToken)

	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("serve started with --database mysql://x:\n%s", out)
	}
	if !strings.Contains(string(out), `the scheme "mysql" is not supported`) {
		t.Errorf("error does not name the scheme:\n%s", out)
	}
	if !strings.Contains(string(out), "postgres://") {
		t.Errorf("error does not say what to use instead:\n%s", out)
	}
}
