package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/config"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const moveAdminToken = "move-admin-token-0123456789"

// movePassword is the password of the admin that moves with the
// installation.
const movePassword = "correct horse battery staple"

// parisReporter is a directory user in the Paris office, whom the demo's
// rules route to the EMEA Service Desk.
var parisReporter = jiracloud.Account{AccountID: "712020:paris", DisplayName: "Amélie Laurent", Email: "amelie.laurent@fabrikam.example"}

// runBinary runs the fieldlink binary with env added to the environment
// and returns its standard output and error.
func runBinary(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()

	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// mustRunBinary runs the fieldlink binary and fails the test when it fails.
func mustRunBinary(t *testing.T, env []string, args ...string) string {
	t.Helper()

	stdout, stderr, err := runBinary(t, env, args...)
	if err != nil {
		t.Fatalf("fieldlink %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// serveOn runs "fieldlink serve --listen addr --allow-loopback" with args
// and the admin token, and returns once it serves. The returned function
// stops it with an interrupt.
func serveOn(t *testing.T, addr string, env []string, args ...string) func() {
	t.Helper()

	cmd := exec.Command(binary, append([]string{"serve", "--listen", addr, "--allow-loopback", "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"FIELDLINK_ADMIN_TOKEN=" + moveAdminToken}, env...)...)
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
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not stop within 30s of an interrupt")
		}
	}
	t.Cleanup(stop)

	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
			go io.Copy(io.Discard, stdout)
			return stop
		}
	}
	cmd.Wait()
	t.Fatalf("serve %s stopped before serving:\n%s", strings.Join(args, " "), stderr.String())
	return nil
}

// callJSON sends a request with a bearer token and a JSON body, and
// returns the status and the response body.
func callJSON(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()

	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// installation is what a test set up on the first server and expects to
// find, under the same IDs, after every move.
type installation struct {
	base        string
	hook        httpapi.HookBody
	graphID     string
	jiraID      string
	itemID      string
	lookupURL   string
	lookupToken string
	apiToken    string
}

// setUpInstallation configures the server at base like the demo does,
// through the API, and adds an item lookup token, a hook automation token,
// an API token and an admin.
func setUpInstallation(ctx context.Context, t *testing.T, base, dataDir string, emulators *demo.Emulators) installation {
	t.Helper()

	api := &apiclient.Client{BaseURL: base, Token: moveAdminToken}
	hook, err := demo.Configure(ctx, api, emulators, io.Discard)
	if err != nil {
		t.Fatalf("configure the installation: %v", err)
	}
	emulators.Jira.RegisterWebhook(hook.URL, hook.Secret)
	inst := installation{base: base, hook: hook}

	datasources, err := api.ListDatasources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range datasources {
		switch ds.Name {
		case "Microsoft Graph":
			inst.graphID = ds.ID
		case "Jira Cloud":
			inst.jiraID = ds.ID
		}
	}
	if inst.graphID == "" || inst.jiraID == "" {
		t.Fatalf("datasources after configuring: %+v, want Microsoft Graph and Jira Cloud", datasources)
	}

	status, data := callJSON(t, "GET", base+"/api/v1/items", moveAdminToken, nil)
	var items struct{ Items []struct{ ID string } }
	if status != http.StatusOK || json.Unmarshal(data, &items) != nil || len(items.Items) != 1 {
		t.Fatalf("list items: status %d: %s", status, data)
	}
	inst.itemID = items.Items[0].ID

	status, data = callJSON(t, "POST", base+"/api/v1/items/"+inst.itemID+"/lookup-token", moveAdminToken, nil)
	var lookup httpapi.LookupTokenBody
	if status != http.StatusCreated || json.Unmarshal(data, &lookup) != nil {
		t.Fatalf("create lookup token: status %d: %s", status, data)
	}
	inst.lookupURL, inst.lookupToken = lookup.URL, lookup.Token

	if _, err := api.CreateAutomationToken(ctx, hook.ID); err != nil {
		t.Fatalf("create automation token: %v", err)
	}
	created, err := api.CreateToken(ctx, "monitoring", auth.ScopeReadOnly)
	if err != nil {
		t.Fatalf("create API token: %v", err)
	}
	inst.apiToken = created.Secret

	out, err := runWithStdin(t, movePassword+"\n", nil, "admin", "create", "--username", "ana", "--data", dataDir)
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	return inst
}

// addEverySecretDatasource stores a datasource with every secret field set,
// on the stopped server's data folder.
func addEverySecretDatasource(t *testing.T, dataDir string) {
	t.Helper()

	db := openDataFolder(t, dataDir)
	defer db.Close()
	ds := fieldlink.Datasource{
		Name:    "Every secret",
		BaseURL: "http://127.0.0.1:9",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             "http://127.0.0.1:9/token",
			ClientID:             "client-id",
			ClientSecret:         secretMarker + "client-secret",
			ClientAuthentication: fieldlink.ClientAuthBody,
			Password:             secretMarker + "password",
			Token:                secretMarker + "token",
			APIKeyValue:          secretMarker + "api-key",
			ClientPrivateKey:     secretMarker + "private-key",
			TLSClientKey:         secretMarker + "tls-key",
		},
	}
	if err := db.CreateDatasource(context.Background(), &ds); err != nil {
		t.Fatal(err)
	}
}

// exportPlaintext exports the installation with its secrets in clear text,
// for comparing two installations.
func exportPlaintext(t *testing.T, env []string, flags ...string) config.Document {
	t.Helper()

	out := mustRunBinary(t, env, append([]string{"export", "--plaintext-secrets"}, flags...)...)
	var doc config.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode the export: %v", err)
	}
	return doc
}

// compareInstallations fails the test unless two exports hold the same
// records under the same IDs, with the same secrets and hashes.
func compareInstallations(t *testing.T, when string, got, want config.Document) {
	t.Helper()

	if len(want.Datasources) < 3 || len(want.Admins) != 1 || len(want.Tokens) != 1 {
		t.Fatalf("%s: the source export holds %d datasources, %d admins and %d tokens, want at least 3, 1 and 1",
			when, len(want.Datasources), len(want.Admins), len(want.Tokens))
	}
	ignore := []cmp.Option{
		cmpopts.IgnoreFields(config.Document{}, "ID", "ExportedAt"),
		cmpopts.IgnoreFields(auth.Token{}, "LastUsedAt"),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(got, want, ignore...); diff != "" {
		t.Errorf("%s: the installation differs from the source (-got +want):\n%s", when, diff)
	}
}

// checkInstallation fails the test unless the server at inst.base routes a
// ticket that Jira signs and sends to the hook's URL, returns a lookup of
// the item by its ID, opens the datasource secrets for Test connection, and
// accepts the admin's password and the API token.
func checkInstallation(ctx context.Context, t *testing.T, when string, inst installation, emulators *demo.Emulators) {
	t.Helper()
	api := &apiclient.Client{BaseURL: inst.base, Token: moveAdminToken}

	key, err := emulators.Jira.CreateIssue(ctx, parisReporter, "Printer on my floor is offline")
	if err != nil {
		t.Fatalf("%s: create a ticket: %v", when, err)
	}
	ev := waitEventFinished(ctx, t, api, key)
	if ev.Hook != inst.hook.ID || ev.Status != string(fieldlink.EventProcessed) {
		t.Errorf("%s: event of %s: hook %q, status %q (outcome %+v), want hook %q processed", when, key, ev.Hook, ev.Status, ev.Outcome, inst.hook.ID)
	}
	issue, _ := emulators.Jira.Issue(key)
	if got := describeOption(issue["customfield_10050"]); got != "EMEA Service Desk" {
		t.Errorf("%s: %s support group = %q, want EMEA Service Desk", when, key, got)
	}

	body := map[string]any{"key": key, "fields": map[string]any{"reporter": map[string]any{"accountId": parisReporter.AccountID, "emailAddress": parisReporter.Email}}}
	status, data := callJSON(t, "POST", inst.lookupURL, inst.lookupToken, body)
	var lookup httpapi.LookupResultBody
	if status != http.StatusOK || json.Unmarshal(data, &lookup) != nil {
		t.Errorf("%s: lookup at %s: status %d: %s", when, inst.lookupURL, status, data)
	} else if lookup.Text != "Paris" {
		t.Errorf("%s: lookup text = %q, want Paris", when, lookup.Text)
	}

	for _, id := range []string{inst.graphID, inst.jiraID} {
		result, err := api.TestDatasource(ctx, id)
		if err != nil {
			t.Errorf("%s: test connection of %s: %v", when, id, err)
			continue
		}
		if !result.OK {
			t.Errorf("%s: test connection of %s failed: %s %+v", when, id, result.Status, result.Steps)
		}
	}

	if status, _ := callSession(t, inst.base, fmt.Sprintf(`{"username":"ana","password":%q}`, movePassword)); status != http.StatusOK {
		t.Errorf("%s: sign in as the moved admin: status %d, want 200", when, status)
	}
	if status := get(t, inst.base+"/api/v1/datasources", inst.apiToken); status != http.StatusOK {
		t.Errorf("%s: GET datasources with the moved API token: status %d, want 200", when, status)
	}
}

// waitEventFinished waits until the event of the issue is no longer
// pending and returns it.
func waitEventFinished(ctx context.Context, t *testing.T, api *apiclient.Client, issueKey string) httpapi.EventBody {
	t.Helper()
	for {
		page, err := api.FindEvents(ctx, fieldlink.EventFilter{IssueKey: issueKey})
		if err == nil && len(page.Items) > 0 && page.Items[0].Status != string(fieldlink.EventPending) {
			return page.Items[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the event of %s did not finish in time (last error %v)", issueKey, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestMoveSQLiteToPostgresAndBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pgURL := pgtest.NewDatabase(t)
	emulators, err := demo.StartEmulators(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulators.Close() })

	// Every server of this test listens on the same address, so the hook
	// URL registered in Jira and the item's lookup URL stay the same.
	addr := freeAddr(t)
	base := "http://" + addr

	sourceDir := t.TempDir()
	stop := serveOn(t, addr, nil, "--data", sourceDir)
	inst := setUpInstallation(ctx, t, base, sourceDir, emulators)
	checkInstallation(ctx, t, "on SQLite before the move", inst, emulators)
	stop()
	addEverySecretDatasource(t, sourceDir)
	source := exportPlaintext(t, nil, "--data", sourceDir)

	// To PostgreSQL, with a master key of its own in FIELDLINK_MASTER_KEY,
	// each command naming its database as docs/migrating-to-postgresql.md
	// does.
	pgKey := seal.GenerateKey()
	keyEnv := []string{seal.EnvVar + "=" + seal.EncodeKey(pgKey)}
	pgEnv := append(keyEnv, "FIELDLINK_DATABASE="+pgURL)
	document := filepath.Join(t.TempDir(), "installation.json")
	transportKey := filepath.Join(t.TempDir(), "transport.key")
	_, stderr, err := runBinary(t, []string{seal.EnvVar + "="}, "export", "--data", sourceDir, "--database", "", "-o", document, "--transport-key-file", transportKey)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if want := "Database: " + filepath.Join(sourceDir, "fieldlink.db") + " (SQLite"; !strings.HasPrefix(stderr, want) {
		t.Errorf("export does not start with %q:\n%s", want, stderr)
	}
	pgDir := t.TempDir()
	out := mustRunBinary(t, keyEnv, "import", "--data", pgDir, "--database", pgURL, "-f", document, "--transport-key-file", transportKey)
	if want := "Database: " + pgURL + " (PostgreSQL)\n"; !strings.HasPrefix(out, want) {
		t.Errorf("import output does not start with %q:\n%s", want, out)
	}
	if want := "keeps its ID " + inst.hook.ID; !strings.Contains(out, want) {
		t.Errorf("import output lacks %q:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(pgDir, "master.key")); !os.IsNotExist(err) {
		t.Errorf("the import with FIELDLINK_MASTER_KEY wrote a key file into %s (stat: %v)", pgDir, err)
	}

	compareInstallations(t, "on PostgreSQL", exportPlaintext(t, pgEnv, "--data", pgDir), source)
	stop = serveOn(t, addr, pgEnv, "--data", pgDir)
	checkInstallation(ctx, t, "on PostgreSQL", inst, emulators)
	stop()

	// Back to SQLite, in a new data folder whose master key the import
	// creates.
	backDocument := filepath.Join(t.TempDir(), "installation.json")
	mustRunBinary(t, keyEnv, "export", "--data", pgDir, "--database", pgURL, "-o", backDocument, "--transport-key-file", transportKey)
	backDir := t.TempDir()
	mustRunBinary(t, []string{seal.EnvVar + "="}, "import", "--data", backDir, "--database", "", "-f", backDocument, "--transport-key-file", transportKey)

	backKeys, err := seal.ReadKeyFile(filepath.Join(backDir, "master.key"))
	if err != nil {
		t.Fatalf("the import created no master key file: %v", err)
	}
	sourceKeys, err := seal.ReadKeyFile(filepath.Join(sourceDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(backKeys[0], sourceKeys[0]) || bytes.Equal(backKeys[0], pgKey) {
		t.Fatal("the new data folder has the master key of an earlier installation")
	}

	compareInstallations(t, "back on SQLite", exportPlaintext(t, nil, "--data", backDir), source)
	serveOn(t, addr, nil, "--data", backDir)
	checkInstallation(ctx, t, "back on SQLite", inst, emulators)
}
