package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
)

// cliMarker returns a secret that names its kind and is unique to one run,
// so a leak names what leaked.
func cliMarker(kind string) string {
	random := make([]byte, 6)
	_, _ = rand.Read(random)
	return "MARKER-" + kind + "-" + hex.EncodeToString(random)
}

// cliSecrets maps each secret's kind to the encodings it could leak in:
// as it is, URL-encoded, hex and standard base64, and extra forms such as
// HTTP Basic credentials.
type cliSecrets map[string][]string

func (s cliSecrets) add(kind, value string, extra ...string) {
	s[kind] = append([]string{value, url.QueryEscape(value), hex.EncodeToString([]byte(value)), base64.StdEncoding.EncodeToString([]byte(value))}, extra...)
}

// addMasterKey records a master key by its 32 bytes, with every base64
// form FIELDLINK_MASTER_KEY and master.key may hold.
func (s cliSecrets) addMasterKey(kind string, key []byte) {
	s.add(kind, string(key), base64.RawStdEncoding.EncodeToString(key), base64.URLEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key))
}

// newMarkerKey returns 32 bytes that spell a marker, usable as a master key.
func newMarkerKey(kind string) []byte {
	return []byte(cliMarker(kind) + "-padding-to-32-bytes")[:32]
}

// output is text that a user could read, by name.
type output struct {
	name, text string
	// allowed lists the kinds of secret the text contains by design, as a
	// plain-text export does.
	allowed []string
}

// jwtPattern matches a whole JSON Web Token. Random bytes of a sealed value
// may spell "eyJ", but are very unlikely to spell this whole shape.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`)

// checkSecretsAbsent fails t for each secret found in an output that does
// not allow its kind, and for each access token found.
func checkSecretsAbsent(t *testing.T, secrets cliSecrets, outputs []output) {
	t.Helper()
	for kind, forms := range secrets {
		for _, o := range outputs {
			if slices.Contains(o.allowed, kind) {
				continue
			}
			for _, form := range forms {
				if i := strings.Index(o.text, form); i >= 0 {
					start, end := max(i-80, 0), min(i+len(form)+80, len(o.text))
					t.Errorf("the %s appears in %s: …%s…", kind, o.name, strings.ReplaceAll(strings.ToValidUTF8(o.text[start:end], "?"), "\n", "⏎"))
					break
				}
			}
		}
	}
	for _, o := range outputs {
		if jwtPattern.MatchString(o.text) {
			t.Errorf("an access token (JWT) appears in %s", o.name)
		}
	}
}

// folderOutputs returns every file under dir but the master key file and
// the transport key file, which hold keys by design.
func folderOutputs(t *testing.T, dir, when string) []output {
	t.Helper()
	var out []output
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "master.key" || d.Name() == "transport.key" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, output{name: fmt.Sprintf("%s (%s)", rel, when), text: string(raw)})
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu   sync.Mutex
	text strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.String()
}

// serveWithLog runs "fieldlink serve" at debug level with env and returns
// its URL, its whole output and a function that stops it.
func serveWithLog(t *testing.T, dataDir string, env []string) (string, *lockedBuffer, func()) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--listen", addr, "--data", dataDir, "--allow-loopback", "--log-level", "debug")
	cmd.Env = append(os.Environ(), env...)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not stop within 30s of an interrupt")
		}
	}
	t.Cleanup(stop)

	serving := make(chan bool, 1)
	go func() {
		defer close(done)
		scanner := bufio.NewScanner(stdout)
		found := false
		for scanner.Scan() {
			logs.Write([]byte(scanner.Text() + "\n"))
			if !found && strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
				found = true
				serving <- true
			}
		}
		if !found {
			serving <- false
		}
		cmd.Wait()
	}()
	if !<-serving {
		t.Fatalf("serve stopped before serving:\n%s", logs.String())
	}
	return "http://" + addr, logs, stop
}

// echoAPI is an API on loopback that accepts only the bearer token want
// and echoes every credential it receives in its 401 body.
func echoAPI(t *testing.T, want func() string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+want() {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"value":[{"officeLocation":"Paris"}]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{
			"error": map[string]string{"code": "InvalidAuthenticationToken",
				"message": "credentials " + r.Header.Get("Authorization") + " " + r.Header.Get("X-API-Key") + " rejected at " + r.URL.RequestURI()},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// cliRun runs the fieldlink binary with env and an optional standard input,
// and keeps its output under a name for the search.
type cliRun struct {
	t       *testing.T
	env     []string
	outputs []output
}

func (c *cliRun) run(stdin string, extraEnv []string, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), c.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	c.outputs = append(c.outputs, output{name: "the output of fieldlink " + strings.Join(args, " "), text: string(out)})
	return string(out), err
}

// must runs the binary and fails the test when it fails.
func (c *cliRun) must(stdin string, extraEnv []string, args ...string) string {
	c.t.Helper()
	out, err := c.run(stdin, extraEnv, args...)
	if err != nil {
		c.t.Fatalf("fieldlink %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fail runs the binary and fails the test unless it fails.
func (c *cliRun) fail(stdin string, extraEnv []string, args ...string) string {
	c.t.Helper()
	out, err := c.run(stdin, extraEnv, args...)
	if err == nil {
		c.t.Errorf("fieldlink %s succeeded, want it to fail:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// allow marks the last command's output as one that contains the kinds of
// secret by design.
func (c *cliRun) allow(kinds ...string) {
	c.outputs[len(c.outputs)-1].allowed = kinds
}

// issued cuts a value that the last command showed once by design, such
// as a new API token, from that command's output only.
func (c *cliRun) issued(value string) {
	last := &c.outputs[len(c.outputs)-1]
	last.text = strings.ReplaceAll(last.text, value, "[ISSUED]")
}

var apiTokenPattern = regexp.MustCompile(`flt_[A-Za-z0-9_-]+`)

// TestSecretsNeverLeakCLI runs the admin, datasource, token, keys, export
// and import commands with a unique marker per secret, through failures
// and rotations, and searches their output, the server's debug log, the
// data folders and the exported documents for every marker.
func TestSecretsNeverLeakCLI(t *testing.T) {
	secrets := cliSecrets{}
	dataDir := t.TempDir()

	masterKey := newMarkerKey("masterkey")
	secrets.addMasterKey("master key", masterKey)
	adminToken := cliMarker("admintoken")
	secrets.add("admin token", adminToken)
	password := cliMarker("adminpassword")
	secrets.add("admin password", password)
	keyEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(masterKey)
	cli := &cliRun{t: t, env: []string{keyEnv, "FIELDLINK_ADMIN_TOKEN=" + adminToken}}

	base, logs, stop := serveWithLog(t, dataDir, cli.env)
	cli.must(password+"\n", nil, "admin", "create", "--username", "ana", "--data", dataDir)
	cli.env = append(cli.env, "FIELDLINK_URL="+base)

	bearerToken := cliMarker("bearer")
	secrets.add("bearer token", bearerToken)
	var currentToken sync.Mutex
	accepted := bearerToken
	api := echoAPI(t, func() string { currentToken.Lock(); defer currentToken.Unlock(); return accepted })

	files := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bearerYAML := write("bearer.yaml", "name: Directory\nbaseUrl: "+api.URL+"\ntestPath: /users\nallowLoopback: true\nauth:\n  mode: bearer\n")
	apiKey := cliMarker("apikey-query")
	secrets.add("API key (query)", apiKey)
	apiKeyJSON := write("apikey.json", `{"name":"CMDB","baseUrl":"`+api.URL+`","testPath":"/users","allowLoopback":true,
		"auth":{"mode":"api-key","apiKeyName":"key","apiKeyIn":"query","apiKeyValue":"`+apiKey+`"}}`)
	inURL := cliMarker("secret-in-token-url")
	secrets.add("secret in a token URL", inURL)
	invalidJSON := write("invalid.json", `{"name":"Bad","baseUrl":"`+api.URL+`","auth":{"mode":"oauth2-client-credentials",
		"tokenUrl":"ftp://client:`+inURL+`@127.0.0.1/token","clientId":"c","clientSecret":"`+inURL+`","clientAuthentication":"body"}}`)
	inYAML := cliMarker("secret-in-broken-yaml")
	secrets.add("secret in broken YAML", inYAML)
	brokenYAML := write("broken.yaml", "name: Broken\nauth:\n  mode: bearer\n  token: "+inYAML+"\n bad: [indent\n")
	draftKey := cliMarker("apikey-draft")
	secrets.add("API key (draft)", draftKey)
	draftYAML := write("draft.yaml", "name: Draft\nbaseUrl: "+api.URL+"\ntestPath: /users\nallowLoopback: true\nauth:\n  mode: api-key\n  apiKeyName: X-API-Key\n  apiKeyIn: header\n  apiKeyValue: "+draftKey+"\n")

	created := cli.must("", []string{"BEARER_TOKEN=" + bearerToken}, "datasource", "create", "-f", bearerYAML, "--secret-env", "token=BEARER_TOKEN")
	bearerID := strings.Fields(created)[2]
	created = cli.must("", nil, "datasource", "create", "-f", apiKeyJSON)
	apiKeyID := strings.Fields(created)[2]
	cli.fail("", nil, "datasource", "create", "-f", invalidJSON)
	cli.fail("", nil, "datasource", "create", "-f", brokenYAML)
	cli.fail("", nil, "datasource", "test", "-f", invalidJSON)
	cli.must("", nil, "datasource", "list")
	cli.must("", nil, "datasource", "list", "-o", "json")
	for _, id := range []string{bearerID, apiKeyID} {
		cli.must("", nil, "datasource", "show", id)
		cli.must("", nil, "datasource", "show", "-o", "json", id)
		cli.run("", nil, "datasource", "test", id)
		cli.run("", nil, "datasource", "test", "-o", "json", id)
	}
	cli.run("", nil, "datasource", "test", "-f", draftYAML)
	cli.run("", nil, "doctor")

	// Rotate the bearer token: the API accepts the new one only.
	rotated := cliMarker("bearer-rotated")
	secrets.add("bearer token (rotated)", rotated)
	currentToken.Lock()
	accepted = rotated
	currentToken.Unlock()
	cli.run("", nil, "datasource", "test", bearerID)
	cli.must("", []string{"NEW_TOKEN=" + rotated}, "datasource", "update", bearerID, "-f", bearerYAML, "--secret-env", "token=NEW_TOKEN")
	if out, _ := cli.run("", nil, "datasource", "test", bearerID); !strings.Contains(out, "VALID CREDENTIALS") {
		t.Errorf("Test connection after the rotation did not pass:\n%s", out)
	}

	// A hook puts a hook secret in the database, for the export.
	status, raw := callJSON(t, "POST", base+"/api/v1/hooks", adminToken, map[string]any{"name": "Intake", "jiraDatasource": bearerID})
	if status != http.StatusCreated {
		t.Fatalf("create hook: status %d: %s", status, raw)
	}
	var hook struct{ Secret string }
	if err := json.Unmarshal(raw, &hook); err != nil {
		t.Fatal(err)
	}
	secrets.add("hook secret", hook.Secret)

	out := cli.must("", nil, "token", "create", "--name", "monitoring", "--scope", "read-only")
	token := apiTokenPattern.FindString(out)
	if token == "" {
		t.Fatalf("token create printed no token:\n%s", out)
	}
	cli.issued(token)
	secrets.add("API token", token)
	cli.must("", nil, "token", "list")
	cli.run("", []string{"FIELDLINK_ADMIN_TOKEN=" + cliMarker("admintoken-wrong")}, "datasource", "list")
	cli.must("", nil, "token", "revoke", "monitoring")
	cli.must("", nil, "token", "create", "--name", "scraper")
	cli.issued(apiTokenPattern.FindString(cli.outputs[len(cli.outputs)-1].text))

	// Rotate the admin password.
	newPassword := cliMarker("adminpassword-rotated")
	secrets.add("admin password (rotated)", newPassword)
	cli.must(newPassword+"\n", nil, "admin", "password", "ana", "--data", dataDir)
	cli.fail("short\n", nil, "admin", "create", "--username", "bo", "--data", dataDir)
	cli.must("", nil, "admin", "list", "--data", dataDir)
	stop()

	// Rotate the master key through FIELDLINK_MASTER_KEY.
	newKey := newMarkerKey("masterkey-rotated")
	secrets.addMasterKey("master key (rotated)", newKey)
	bothEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(newKey) + "," + seal.EncodeKey(masterKey)
	cli.fail("", nil, "keys", "rotate", "--new-key", seal.EncodeKey(newKey), "--data", dataDir)
	cli.must("", []string{bothEnv}, "keys", "rotate", "--new-key-id", seal.KeyID(newKey), "--data", dataDir)
	cli.must("", []string{bothEnv}, "keys", "rotate", "--retire-old", "--data", dataDir)
	newEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(newKey)
	cli.must("", []string{newEnv}, "keys", "id", "--data", dataDir)
	cli.run("", nil, "keys", "id", "--data", dataDir)

	// Export in every mode. The plain-text export contains the datasource
	// and hook secrets by design, and nothing else.
	exported := []string{"bearer token (rotated)", "API key (query)", "hook secret"}
	exports := t.TempDir()
	transportKey := filepath.Join(exports, "transport.key")
	sealedFile := filepath.Join(exports, "sealed.json")
	cli.must("", []string{newEnv}, "export", "--data", dataDir, "-o", sealedFile, "--transport-key-file", transportKey)
	cli.must("", []string{newEnv}, "export", "--data", dataDir, "--transport-key-file", transportKey)
	cli.must("", []string{newEnv}, "export", "--data", dataDir, "--without-secrets")
	plainFile := filepath.Join(exports, "plain.json")
	cli.must("", []string{newEnv}, "export", "--data", dataDir, "-o", plainFile, "--plaintext-secrets")
	plainStdout := cli.must("", []string{newEnv}, "export", "--data", dataDir, "--plaintext-secrets")
	cli.allow(exported...)
	cli.fail("", nil, "export", "--data", dataDir, "--transport-key-file", transportKey)

	plainRaw, err := os.ReadFile(plainFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{rotated, apiKey, hook.Secret} {
		if !strings.Contains(string(plainRaw), want) || !strings.Contains(plainStdout, want) {
			t.Errorf("a plain-text export lacks a datasource or hook secret, so the search did not see secrets exported")
		}
	}
	if err := os.Remove(plainFile); err != nil {
		t.Fatal(err)
	}
	cli.outputs = append(cli.outputs, output{name: "the plain-text export file", text: string(plainRaw), allowed: exported})

	// Failed imports: into a folder that holds configuration, with a wrong
	// transport key, and documents with invalid records that carry secrets.
	cli.fail("", []string{newEnv}, "import", "--data", dataDir, "-f", sealedFile, "--transport-key-file", transportKey)
	wrongKey := filepath.Join(exports, "other.key")
	if err := os.WriteFile(wrongKey, []byte(seal.EncodeKey(seal.GenerateKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	targetKey := newMarkerKey("masterkey-target")
	secrets.addMasterKey("master key (import target)", targetKey)
	targetEnv := "FIELDLINK_MASTER_KEY=" + seal.EncodeKey(targetKey)
	cli.fail("", []string{targetEnv}, "import", "--data", t.TempDir(), "-f", sealedFile, "--transport-key-file", wrongKey)

	inRecord := cliMarker("secret-in-invalid-record")
	secrets.add("secret in an invalid imported record", inRecord)
	for i, change := range []func(map[string]any){
		func(ds map[string]any) { ds["baseUrl"] = "http://user:" + inRecord + "@127.0.0.1" },
		func(ds map[string]any) {
			ds["auth"].(map[string]any)["tokenUrl"] = "https://c:" + inRecord + "@127.0.0.1/token"
		},
		func(ds map[string]any) { ds["secrets"] = map[string]any{"no-such-secret": inRecord} },
		func(ds map[string]any) { ds["auth"] = map[string]any{"mode": "bearer", "token": inRecord} },
	} {
		var doc map[string]any
		if err := json.Unmarshal(plainRaw, &doc); err != nil {
			t.Fatal(err)
		}
		change(doc["datasources"].([]any)[0].(map[string]any))
		changed, _ := json.Marshal(doc)
		file := filepath.Join(exports, fmt.Sprintf("invalid-%d.json", i))
		if err := os.WriteFile(file, changed, 0o600); err != nil {
			t.Fatal(err)
		}
		cli.fail("", []string{targetEnv}, "import", "--data", t.TempDir(), "-f", file)
		os.Remove(file)
	}

	// A successful import into a new folder under another master key.
	target := t.TempDir()
	cli.must("", []string{targetEnv}, "import", "--data", target, "-f", sealedFile, "--transport-key-file", transportKey)

	outputs := append(cli.outputs, output{name: "the server's log", text: logs.String()})
	outputs = append(outputs, folderOutputs(t, dataDir, "source data folder")...)
	outputs = append(outputs, folderOutputs(t, target, "import target")...)
	outputs = append(outputs, folderOutputs(t, exports, "exports")...)
	checkSecretsAbsent(t, secrets, outputs)
}

// TestSecretsDatabasePasswordHidden runs serve and the offline commands on
// a PostgreSQL URL with a password, and on one whose database does not
// exist, and searches their output for the password.
func TestSecretsDatabasePasswordHidden(t *testing.T) {
	// The test server trusts local connections, so it ignores the password.
	database, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	password := cliMarker("database-password")
	database.User = url.UserPassword(database.User.Username(), password)
	missing := *database
	missing.Path = "/fieldlink_no_such_database"

	secrets := cliSecrets{}
	secrets.add("database password", password)
	masterKey := newMarkerKey("masterkey")
	secrets.addMasterKey("master key", masterKey)
	dataDir := t.TempDir()
	cli := &cliRun{t: t, env: []string{"FIELDLINK_MASTER_KEY=" + seal.EncodeKey(masterKey), "FIELDLINK_ADMIN_TOKEN=" + cliMarker("admintoken")}}

	cli.must("", nil, "migrate", "--data", dataDir, "--database", database.String())
	cli.must("", nil, "migrate", "--status", "--data", dataDir, "--database", database.String())
	cli.must("correct horse battery\n", nil, "admin", "create", "--username", "ana", "--data", dataDir, "--database", database.String())
	cli.must("", nil, "admin", "list", "--data", dataDir, "--database", database.String())
	cli.must("", nil, "export", "--without-secrets", "--data", dataDir, "--database", database.String())
	cli.fail("", nil, "admin", "list", "--data", dataDir, "--database", missing.String())
	cli.fail("", nil, "export", "--without-secrets", "--data", dataDir, "--database", missing.String())
	cli.fail("", nil, "migrate", "--status", "--data", dataDir, "--database", missing.String())

	_, logs, stop := serveWithLog(t, dataDir, append(cli.env, "FIELDLINK_DATABASE="+database.String()))
	stop()

	outputs := append(cli.outputs, output{name: "the server's log", text: logs.String()})
	if !strings.Contains(logs.String(), database.Host) {
		t.Errorf("the server's log does not name the database, so the search saw no URL:\n%s", logs.String())
	}
	checkSecretsAbsent(t, secrets, outputs)
}
