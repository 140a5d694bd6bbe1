package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// binary is the fieldlink command built once for the tests in this file.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fieldlink-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "fieldlink")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build fieldlink:", err)
		os.Exit(1)
	}

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestDemoOnceExitsZero(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--once")
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())

	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fieldlink demo --once: %v\n%s", err, out)
	}

	report := string(out)
	for _, want := range []string{"VALID ACCESS TOKEN", "fields written: Support group=", "reporter email not visible", "no rule matched"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if lines := regexp.MustCompile(`(?m)^ITH-\d+ `).FindAllString(report, -1); len(lines) < 12 {
		t.Errorf("report has %d ticket lines, want at least 12:\n%s", len(lines), report)
	}
}

func TestDemoKeepsServingWithoutOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var url, token string
	line := regexp.MustCompile(`Admin API: (http://\S+)/api/v1  Admin token: (\S+)`)
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if m := line.FindStringSubmatch(scanner.Text()); m != nil {
			url, token = m[1], m[2]
			break
		}
	}
	if url == "" {
		cmd.Process.Kill()
		t.Fatal("demo printed no admin URL and token")
	}
	go io.Copy(io.Discard, stdout)

	if code := get(t, url+"/api/v1/events", token); code != http.StatusOK {
		t.Errorf("events with the printed token: %d, want 200", code)
	}

	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo after an interrupt: %v, want exit 0", err)
	}
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe runs "fieldlink serve" and returns its first stdout lines once
// it is serving, and a function that stops it.
func startServe(t *testing.T, dataDir, addr string, env ...string) ([]string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "serve", "--listen", addr, "--data", dataDir)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not stop within 10s of an interrupt")
		}
		cancel()
	}
	t.Cleanup(stop)

	var lines []string
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
		if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
			go io.Copy(io.Discard, stdout)
			return lines, stop
		}
	}
	t.Fatalf("serve stopped before serving; output: %q", lines)
	return nil, nil
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeGeneratesAdminTokenOnce(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)

	lines, stop := startServe(t, dataDir, addr)
	var token string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "Admin token (shown once, store it safely): "); ok {
			token = rest
		}
	}
	if token == "" {
		t.Fatalf("first start printed no admin token: %q", lines)
	}

	base := "http://" + addr
	if code := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	if code := get(t, base+"/api/v1/datasources", ""); code != http.StatusUnauthorized {
		t.Errorf("datasources without a token: %d, want 401", code)
	}
	if code := get(t, base+"/api/v1/datasources", token); code != http.StatusOK {
		t.Errorf("datasources with the generated token: %d, want 200", code)
	}

	info, err := os.Stat(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatalf("master key file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("master.key permissions %o, want 600", perm)
	}

	info, err = os.Stat(filepath.Join(dataDir, "fieldlink.db"))
	if err != nil {
		t.Fatalf("database file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("fieldlink.db permissions %o, want 600", perm)
	}

	stop()
	again, _ := startServe(t, dataDir, addr)
	for _, l := range again {
		if strings.HasPrefix(l, "Admin token") {
			t.Errorf("second start printed an admin token again: %q", l)
		}
	}
	if code := get(t, base+"/api/v1/datasources", token); code != http.StatusOK {
		t.Errorf("datasources with the first start's token after a restart: %d, want 200", code)
	}
}

func TestServeUsesEnvironment(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)

	_, _ = startServe(t, dataDir, addr, "FIELDLINK_ADMIN_TOKEN=env-admin-token-0123456789",
		"FIELDLINK_MASTER_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

	if code := get(t, "http://"+addr+"/api/v1/datasources", "env-admin-token-0123456789"); code != http.StatusOK {
		t.Errorf("datasources with FIELDLINK_ADMIN_TOKEN: %d, want 200", code)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); !os.IsNotExist(err) {
		t.Errorf("master.key was created although FIELDLINK_MASTER_KEY is set (stat: %v)", err)
	}
}

func TestServeRejectsBadMasterKey(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "FIELDLINK_MASTER_KEY=not-a-key-MARKER")

	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with an invalid master key:\n%s", out)
	}
	if !strings.Contains(string(out), "FIELDLINK_MASTER_KEY") {
		t.Errorf("error does not name FIELDLINK_MASTER_KEY:\n%s", out)
	}
	if strings.Contains(string(out), "MARKER") {
		t.Errorf("error echoes the key's value:\n%s", out)
	}
}

func TestServeRejectsOtherMasterKey(t *testing.T) {
	dataDir := t.TempDir()
	_, stop := startServe(t, dataDir, freeAddr(t), "FIELDLINK_ADMIN_TOKEN=env-admin-token-0123456789",
		"FIELDLINK_MASTER_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	stop()

	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", dataDir)
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN=env-admin-token-0123456789",
		"FIELDLINK_MASTER_KEY=HxwdHhscGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=")
	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("serve started with another master key:\n%s", out)
	}
	if !strings.Contains(string(out), "does not open this database's secrets") {
		t.Errorf("error does not explain the key mismatch:\n%s", out)
	}
}

func TestServeRejectsShortAdminToken(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", dataDir)
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN=admin")

	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("serve started with a 5-character admin token:\n%s", out)
	}
	if !strings.Contains(string(out), "FIELDLINK_ADMIN_TOKEN is 5 characters long") {
		t.Errorf("error does not name the token's length:\n%s", out)
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Errorf("serve created the data folder before rejecting the admin token")
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"serve", "-h"}, 0},
		{[]string{"datasource", "list", "-h"}, 0},
		{[]string{"keys", "rotate", "-h"}, 0},
		{[]string{}, 2},
		{[]string{"datasource"}, 2},
		{[]string{"serve", "--no-such-flag"}, 2},
		{[]string{"doctor", "--within", "1w"}, 2},
		{[]string{"srve"}, 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN=exit-code-test-token-0123")
			out, err := cmd.CombinedOutput()

			code := 0
			if exitErr, ok := err.(*exec.ExitError); ok {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Errorf("exit status %d, want %d\n%s", code, tt.want, out)
			}
			if n := strings.Count(string(out), "fieldlink: "); n > 1 {
				t.Errorf("the problem is printed %d times:\n%s", n, out)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	out, err := exec.Command(binary, "srve").CombinedOutput()
	if err == nil {
		t.Fatal("unknown command exited 0")
	}
	if !strings.Contains(string(out), `unknown command "srve"`) {
		t.Errorf("output: %s", out)
	}
}
