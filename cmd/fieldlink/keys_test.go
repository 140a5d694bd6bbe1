package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/seal"
	"github.com/google/go-cmp/cmp"
)

const keysAdminToken = "keys-admin-token-0123456789"

// bearerAPI starts an API on loopback that responds to GET /ping with 200
// for the bearer token and 401 otherwise, and counts the rejected requests.
func bearerAPI(t *testing.T, token string) (*httptest.Server, *atomic.Int32) {
	t.Helper()

	var rejected atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ping" || r.Header.Get("Authorization") != "Bearer "+token {
			rejected.Add(1)
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &rejected
}

// startServeLoopback runs "fieldlink serve --allow-loopback" with the admin
// token in the environment and returns its base URL and a function that
// stops it.
func startServeLoopback(t *testing.T, dataDir string, env ...string) (string, func()) {
	t.Helper()

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "serve", "--listen", addr, "--data", dataDir, "--allow-loopback")
	cmd.Env = append(os.Environ(), append([]string{"FIELDLINK_ADMIN_TOKEN=" + keysAdminToken}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
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

	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
			go io.Copy(io.Discard, stdout)
			return "http://" + addr, stop
		}
	}
	cmd.Wait()
	t.Fatalf("serve stopped before serving:\n%s", stderr.String())
	return "", nil
}

// callAPI sends a JSON request with the admin token and returns the status
// and the body.
func callAPI(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()

	return callJSON(t, method, url, keysAdminToken, body)
}

// createSealedRecords creates, through the API, a bearer datasource whose
// token the API at apiURL expects, and a hook, so the database holds a
// datasource secret, a hook secret and the master key check.
func createSealedRecords(t *testing.T, base, apiURL, token string) (datasourceID, hookID string) {
	t.Helper()

	status, data := callAPI(t, "POST", base+"/api/v1/datasources", map[string]any{
		"name":          "CMDB",
		"baseUrl":       apiURL,
		"testPath":      "/ping",
		"allowLoopback": true,
		"auth":          map[string]any{"mode": "bearer", "token": token},
	})
	if status != http.StatusCreated {
		t.Fatalf("create datasource: status %d: %s", status, data)
	}
	var ds struct{ ID string }
	if err := json.Unmarshal(data, &ds); err != nil || ds.ID == "" {
		t.Fatalf("create datasource: no id in %s (%v)", data, err)
	}

	status, data = callAPI(t, "POST", base+"/api/v1/hooks", map[string]any{"name": "Intake", "jiraDatasource": ds.ID})
	if status != http.StatusCreated {
		t.Fatalf("create hook: status %d: %s", status, data)
	}
	var hook struct{ ID string }
	if err := json.Unmarshal(data, &hook); err != nil || hook.ID == "" {
		t.Fatalf("create hook: no id in %s (%v)", data, err)
	}
	return ds.ID, hook.ID
}

// checkSecretsOpen fails the test unless the server at base opens the
// datasource and hook secrets, and Test connection sends the right token.
func checkSecretsOpen(t *testing.T, when, base, datasourceID, hookID string) {
	t.Helper()

	if status, data := callAPI(t, "GET", base+"/api/v1/datasources/"+datasourceID, nil); status != http.StatusOK {
		t.Errorf("%s: GET datasource: status %d: %s", when, status, data)
	}
	if status, data := callAPI(t, "GET", base+"/api/v1/hooks/"+hookID, nil); status != http.StatusOK {
		t.Errorf("%s: GET hook: status %d: %s", when, status, data)
	}

	status, data := callAPI(t, "POST", base+"/api/v1/datasources/"+datasourceID+"/test", nil)
	if status != http.StatusOK {
		t.Fatalf("%s: Test connection: status %d: %s", when, status, data)
	}
	var result struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		t.Fatalf("%s: decode Test connection result %s: %v", when, data, err)
	}
	if !result.OK {
		t.Errorf("%s: Test connection failed: %s", when, data)
	}
}

// runKeysCommand runs "fieldlink keys ARGS…" and returns its output and
// error.
func runKeysCommand(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()

	cmd := exec.Command(binary, append([]string{"keys"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func keyFileIDs(t *testing.T, path string) []string {
	t.Helper()

	keys, err := seal.ReadKeyFile(path)
	if err != nil {
		t.Fatalf("ReadKeyFile: %v", err)
	}
	var ids []string
	for _, key := range keys {
		ids = append(ids, seal.KeyID(key))
	}
	return ids
}

// checkNoKeyPrinted fails the test when output contains one of the keys in
// standard or URL base64, padded or not.
func checkNoKeyPrinted(t *testing.T, output string, keys ...[]byte) {
	t.Helper()

	for _, key := range keys {
		for _, form := range []string{base64.RawStdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key)} {
			if strings.Contains(output, form) {
				t.Errorf("output contains the key with ID %s:\n%s", seal.KeyID(key), output)
			}
		}
	}
}

var newKeyIDLine = regexp.MustCompile(`Re-sealed (\d+) values under the new key ID ([0-9a-f]{8})\.`)

func TestKeysRotateWhileServing(t *testing.T) {
	dataDir := t.TempDir()
	keyFile := filepath.Join(dataDir, "master.key")
	api, rejected := bearerAPI(t, "rotate-secret-1")

	base, stop := startServeLoopback(t, dataDir)
	datasourceID, hookID := createSealedRecords(t, base, api.URL, "rotate-secret-1")
	checkSecretsOpen(t, "before the rotation", base, datasourceID, hookID)
	oldIDs := keyFileIDs(t, keyFile)
	oldKeys, err := seal.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	// Rotate while the server runs.
	out, err := runKeysCommand(t, nil, "rotate", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	m := newKeyIDLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys rotate printed no new key ID and count:\n%s", out)
	}
	// The datasource secret, the hook secret and the master key check.
	if m[1] != "3" {
		t.Errorf("re-sealed %s values, want 3:\n%s", m[1], out)
	}
	newID := m[2]

	if diff := cmp.Diff(append([]string{newID}, oldIDs...), keyFileIDs(t, keyFile)); diff != "" {
		t.Errorf("key file IDs after rotate (-want +got):\n%s", diff)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("master.key mode after rotate = %04o, want 0600", perm)
	}
	newKeys, err := seal.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	checkNoKeyPrinted(t, out, newKeys...)

	// The running server reads the new key from the file.
	checkSecretsOpen(t, "on the running server after the rotation", base, datasourceID, hookID)

	idOut, err := runKeysCommand(t, nil, "id", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys id: %v\n%s", err, idOut)
	}
	if want := regexp.MustCompile(`(?s)` + newID + `\s+newest.*` + oldIDs[0] + `\s+older`); !want.MatchString(idOut) {
		t.Errorf("keys id does not list %s then %s:\n%s", newID, oldIDs[0], idOut)
	}
	checkNoKeyPrinted(t, idOut, newKeys...)

	stop()
	base, stop = startServeLoopback(t, dataDir)
	checkSecretsOpen(t, "after a restart", base, datasourceID, hookID)
	stop()

	// Every value is under the new key, so the old one can go.
	out, err = runKeysCommand(t, nil, "rotate", "--retire-old", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate --retire-old: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{newID}, keyFileIDs(t, keyFile)); diff != "" {
		t.Errorf("key file IDs after --retire-old (-want +got):\n%s", diff)
	}
	checkNoKeyPrinted(t, out, append(oldKeys, newKeys...)...)

	base, _ = startServeLoopback(t, dataDir)
	checkSecretsOpen(t, "with the new key alone", base, datasourceID, hookID)

	if n := rejected.Load(); n != 0 {
		t.Errorf("the API rejected %d requests for a wrong token", n)
	}
}

func TestKeysRetireRefusesOldKeyInUse(t *testing.T) {
	dataDir := t.TempDir()
	keyFile := filepath.Join(dataDir, "master.key")
	api, _ := bearerAPI(t, "retire-secret-1")

	base, stop := startServeLoopback(t, dataDir)
	datasourceID, hookID := createSealedRecords(t, base, api.URL, "retire-secret-1")
	stop()

	// A new key is listed first, but nothing was sealed again, as when a
	// server kept sealing under the old key.
	oldKeys, err := seal.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	newKey := seal.GenerateKey()
	if err := seal.WriteKeyFile(keyFile, append([][]byte{newKey}, oldKeys...)); err != nil {
		t.Fatal(err)
	}

	out, err := runKeysCommand(t, nil, "rotate", "--retire-old", "--data", dataDir)
	if err == nil {
		t.Fatalf("keys rotate --retire-old succeeded with values under the old key:\n%s", out)
	}
	for _, want := range []string{"key ID " + seal.KeyID(oldKeys[0]) + ": 3 values", "fieldlink keys reseal --data " + dataDir} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal does not contain %q:\n%s", want, out)
		}
	}
	if got := keyFileIDs(t, keyFile); len(got) != 2 {
		t.Errorf("key file holds %d keys after a refused retire, want 2", len(got))
	}

	out, err = runKeysCommand(t, nil, "reseal", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys reseal: %v\n%s", err, out)
	}
	if want := "Re-sealed 3 values under key ID " + seal.KeyID(newKey); !strings.Contains(out, want) {
		t.Errorf("keys reseal output lacks %q:\n%s", want, out)
	}

	out, err = runKeysCommand(t, nil, "rotate", "--retire-old", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate --retire-old after reseal: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{seal.KeyID(newKey)}, keyFileIDs(t, keyFile)); diff != "" {
		t.Errorf("key file IDs (-want +got):\n%s", diff)
	}

	base, _ = startServeLoopback(t, dataDir)
	checkSecretsOpen(t, "with the new key alone", base, datasourceID, hookID)
}

func TestKeysRotateEnvKey(t *testing.T) {
	dataDir := t.TempDir()
	api, _ := bearerAPI(t, "env-secret-1")
	oldKey := seal.GenerateKey()
	oldEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(oldKey)

	base, stop := startServeLoopback(t, dataDir, oldEnv)
	datasourceID, hookID := createSealedRecords(t, base, api.URL, "env-secret-1")
	stop()

	// Without --new-key: a generated key and the steps, nothing changed.
	out, err := runKeysCommand(t, []string{oldEnv}, "rotate", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	generated := regexp.MustCompile(`(?m)^  ([A-Za-z0-9+/]{43}=)$`).FindStringSubmatch(out)
	if generated == nil {
		t.Fatalf("keys rotate printed no generated key:\n%s", out)
	}
	if !strings.Contains(out, "not stored anywhere") {
		t.Errorf("output does not say the generated key is not stored:\n%s", out)
	}
	checkNoKeyPrinted(t, out, oldKey)
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); !os.IsNotExist(err) {
		t.Errorf("rotate wrote master.key although FIELDLINK_MASTER_KEY is set (stat: %v)", err)
	}
	newKey, err := seal.DecodeKey(generated[1])
	if err != nil {
		t.Fatalf("decode the printed key: %v", err)
	}

	// With --new-key but FIELDLINK_MASTER_KEY not yet listing it: refused.
	out, err = runKeysCommand(t, []string{oldEnv}, "rotate", "--new-key", generated[1], "--data", dataDir)
	if err == nil {
		t.Fatalf("keys rotate re-sealed before FIELDLINK_MASTER_KEY listed the new key:\n%s", out)
	}
	if !strings.Contains(out, "does not list the new key") {
		t.Errorf("refusal does not explain why:\n%s", out)
	}
	checkNoKeyPrinted(t, out, oldKey)

	// Servers run with "new,old": the rotation goes ahead.
	bothEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(newKey) + "," + seal.EncodeKey(oldKey)
	base, stop = startServeLoopback(t, dataDir, bothEnv)
	out, err = runKeysCommand(t, []string{bothEnv}, "rotate", "--new-key-id", seal.KeyID(newKey), "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate --new-key-id: %v\n%s", err, out)
	}
	m := newKeyIDLine.FindStringSubmatch(out)
	if m == nil || m[1] != "3" || m[2] != seal.KeyID(newKey) {
		t.Errorf("keys rotate --new-key-id output lacks 3 values under key ID %s:\n%s", seal.KeyID(newKey), out)
	}
	if want := "to the new key alone (key ID " + seal.KeyID(newKey) + ")"; !strings.Contains(out, want) {
		t.Errorf("output does not say what to set afterwards:\n%s", out)
	}
	checkNoKeyPrinted(t, out, newKey)
	checkNoKeyPrinted(t, out, oldKey)
	checkSecretsOpen(t, "on the running server with both keys", base, datasourceID, hookID)
	stop()

	newEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(newKey)
	out, err = runKeysCommand(t, []string{bothEnv}, "rotate", "--retire-old", "--data", dataDir)
	if err != nil {
		t.Fatalf("keys rotate --retire-old: %v\n%s", err, out)
	}
	checkNoKeyPrinted(t, out, oldKey, newKey)

	base, _ = startServeLoopback(t, dataDir, newEnv)
	checkSecretsOpen(t, "with the new key alone", base, datasourceID, hookID)
}

func TestServeWrongKeyRingNamesIDs(t *testing.T) {
	dataDir := t.TempDir()
	_, stop := startServeLoopback(t, dataDir)
	stop()

	keys, err := seal.ReadKeyFile(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	first, second := seal.GenerateKey(), seal.GenerateKey()
	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", dataDir)
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+keysAdminToken,
		"FIELDLINK_MASTER_KEY="+seal.EncodeKey(first)+","+seal.EncodeKey(second))
	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("serve started with a ring that lacks the database's key:\n%s", out)
	}
	for _, id := range []string{seal.KeyID(first), seal.KeyID(second), seal.KeyID(keys[0])} {
		if !strings.Contains(string(out), id) {
			t.Errorf("error does not name key ID %s:\n%s", id, out)
		}
	}
	checkNoKeyPrinted(t, string(out), first, second, keys[0])
}

func TestKeysRejectsMissingData(t *testing.T) {
	dataDir := t.TempDir()

	out, err := runKeysCommand(t, nil, "rotate", "--data", dataDir)
	if err == nil {
		t.Fatalf("keys rotate on an empty folder succeeded:\n%s", out)
	}
	if !strings.Contains(out, "no master key file at "+filepath.Join(dataDir, "master.key")) {
		t.Errorf("error does not name the missing key file:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); !os.IsNotExist(err) {
		t.Errorf("keys rotate created master.key (stat: %v)", err)
	}

	if err := seal.WriteKeyFile(filepath.Join(dataDir, "master.key"), [][]byte{seal.GenerateKey()}); err != nil {
		t.Fatal(err)
	}
	out, err = runKeysCommand(t, nil, "reseal", "--data", dataDir)
	if err == nil {
		t.Fatalf("keys reseal without a database succeeded:\n%s", out)
	}
	if !strings.Contains(out, "no database at "+filepath.Join(dataDir, "fieldlink.db")) {
		t.Errorf("error does not name the missing database:\n%s", out)
	}
}

// keysCommandPattern matches a keys command in a text, with its flags.
var keysCommandPattern = regexp.MustCompile(`fieldlink keys (id|rotate|reseal)((?: --[a-z-]+(?: [A-Z_]+\b)?)*)`)

// keysCommands returns the keys commands in text, without --data and
// --database, whose values depend on the installation.
func keysCommands(text string) []string {
	seen := map[string]bool{}
	for _, m := range keysCommandPattern.FindAllStringSubmatch(text, -1) {
		var flags []string
		for _, flag := range strings.Fields(m[2]) {
			if strings.HasPrefix(flag, "--") && flag != "--data" && flag != "--database" {
				flags = append(flags, flag)
			}
		}
		seen[strings.Join(append([]string{m[1]}, flags...), " ")] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// between returns the part of text from the first start to the next end.
func between(t *testing.T, text, start, end string) string {
	t.Helper()

	_, rest, ok := strings.Cut(text, start)
	if !ok {
		t.Fatalf("text lacks %q", start)
	}
	part, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatalf("text lacks %q after %q", end, start)
	}
	return part
}

func TestKeysHelpMatchesDeployGuide(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	guideSteps := between(t, string(guide), "1. Create a new key", "`fieldlink keys reseal` seals")
	helpSteps := between(t, keysUsage, "Rotating with FIELDLINK_MASTER_KEY", "Flags:")

	got, want := keysCommands(guideSteps), keysCommands(helpSteps)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("docs/deploy.md and keys -h name other commands for a rotation with FIELDLINK_MASTER_KEY (-guide +help):\n%s", diff)
	}
	if !slices.Contains(want, "rotate --new-key-id") || !slices.Contains(want, "rotate --retire-old") {
		t.Errorf("keys -h rotation steps = %q, want rotate --new-key-id and rotate --retire-old", want)
	}
}
