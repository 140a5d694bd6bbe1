package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runWithStdin runs the fieldlink binary with input on stdin and returns
// its combined output.
func runWithStdin(t *testing.T, input string, env []string, args ...string) (string, error) {
	t.Helper()

	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAdminCreateAndSignIn(t *testing.T) {
	dataDir := t.TempDir()
	base, _ := startServeLoopback(t, dataDir)

	out, err := runWithStdin(t, "short\n", nil, "admin", "create", "--username", "ana", "--data", dataDir)
	if err == nil || !strings.Contains(out, "at least 12 characters") {
		t.Errorf("admin create with a short password: error %v, output %q; want a length error", err, out)
	}

	out, err = runWithStdin(t, "correct horse battery\n", nil, "admin", "create", "--username", "ana", "--data", dataDir)
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	out, err = runWithStdin(t, "correct horse battery\n", nil, "admin", "create", "--username", "ana", "--data", dataDir)
	if err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("second admin create: error %v, output %q; want a conflict", err, out)
	}

	stdout, stderr, err := runBinary(t, nil, "admin", "list", "--data", dataDir)
	if err != nil || !strings.HasPrefix(stdout, "ana\t") {
		t.Errorf("admin list: error %v, output %q; want ana", err, stdout)
	}
	if want := "Database: " + filepath.Join(dataDir, "fieldlink.db") + " (SQLite"; !strings.HasPrefix(stderr, want) {
		t.Errorf("admin list: standard error %q, want it to start with %q", stderr, want)
	}

	status, _ := callSession(t, base, `{"username":"ana","password":"correct horse battery"}`)
	if status != http.StatusOK {
		t.Errorf("sign in with the created admin: status %d, want 200", status)
	}

	out, err = runWithStdin(t, "another long passphrase\n", nil, "admin", "password", "ana", "--data", dataDir)
	if err != nil {
		t.Fatalf("admin password: %v\n%s", err, out)
	}
	if status, _ := callSession(t, base, `{"username":"ana","password":"correct horse battery"}`); status != http.StatusUnauthorized {
		t.Errorf("sign in with the old password: status %d, want 401", status)
	}
	if status, _ := callSession(t, base, `{"username":"ana","password":"another long passphrase"}`); status != http.StatusOK {
		t.Errorf("sign in with the new password: status %d, want 200", status)
	}

	out, err = runWithStdin(t, "", nil, "admin", "delete", "ana", "--data", dataDir)
	if err != nil {
		t.Fatalf("admin delete: %v\n%s", err, out)
	}
	if status, _ := callSession(t, base, `{"username":"ana","password":"another long passphrase"}`); status != http.StatusUnauthorized {
		t.Errorf("sign in after delete: status %d, want 401", status)
	}
}

func callSession(t *testing.T, base, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/session", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Set-Cookie")
}

var createdTokenLine = regexp.MustCompile(`(?m)^(flt_\S+)$`)

func TestTokenCreateListRevoke(t *testing.T) {
	dataDir := t.TempDir()
	base, _ := startServeLoopback(t, dataDir)
	env := []string{"FIELDLINK_URL=" + base, "FIELDLINK_ADMIN_TOKEN=" + keysAdminToken}

	out, err := runWithStdin(t, "", env, "token", "create", "--name", "monitoring", "--scope", "read-only")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	m := createdTokenLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("token create printed no flt_ token:\n%s", out)
	}
	token := m[1]

	req, _ := http.NewRequest("GET", base+"/api/v1/datasources", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with the new token: status %d, want 200", resp.StatusCode)
	}

	out, err = runWithStdin(t, "", env, "token", "list")
	if err != nil || !strings.Contains(out, "monitoring\tread-only") || strings.Contains(out, token) {
		t.Errorf("token list: error %v, output %q; want monitoring without its secret", err, out)
	}

	out, err = runWithStdin(t, "", env, "token", "revoke", "monitoring")
	if err != nil {
		t.Fatalf("token revoke: %v\n%s", err, out)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET with the revoked token: status %d, want 401", resp.StatusCode)
	}
}
