package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/config"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// secretMarker starts every secret of the source folder, so a test can
// search an exported file for any of them.
const secretMarker = "SECRET-MARKER-"

// newDataFolder creates a data folder with a master key file of its own and
// an empty database, and returns the folder and its master key.
func newDataFolder(t *testing.T) (string, []byte) {
	t.Helper()

	dir := t.TempDir()
	key := seal.GenerateKey()
	if err := seal.WriteKeyFile(filepath.Join(dir, "master.key"), [][]byte{key}); err != nil {
		t.Fatal(err)
	}
	db := openDataFolder(t, dir)
	db.Close()
	return dir, key
}

// openDataFolder opens the folder's database with its master key file.
func openDataFolder(t *testing.T, dir string) *store.DB {
	t.Helper()

	keys, err := seal.ReadKeyFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fillDataFolder creates two datasources with every secret field set, an
// item, two rules and a hook.
func fillDataFolder(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db := openDataFolder(t, dir)
	defer db.Close()

	graph := fieldlink.Datasource{
		Name:    "Microsoft Graph",
		BaseURL: "http://127.0.0.1:9/v1.0",
		Headers: map[string]string{"ConsistencyLevel": "eventual"},
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
			ClientID:             "client-id",
			ClientSecret:         secretMarker + "client-secret",
			ClientAuthentication: fieldlink.ClientAuthBody,
			Scopes:               []string{"https://graph.microsoft.com/.default"},
			Password:             secretMarker + "password",
			Token:                secretMarker + "token",
			APIKeyValue:          secretMarker + "api-key",
			ClientPrivateKey:     secretMarker + "private-key",
			TLSClientKey:         secretMarker + "tls-key",
		},
		AllowLoopback: true,
	}
	if err := db.CreateDatasource(ctx, &graph); err != nil {
		t.Fatal(err)
	}
	jira := fieldlink.Datasource{
		Name:    "Jira",
		BaseURL: "http://127.0.0.1:9",
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "bot@example.com", Password: secretMarker + "jira"},
	}
	if err := db.CreateDatasource(ctx, &jira); err != nil {
		t.Fatal(err)
	}

	item := fieldlink.Item{
		Name:         "Reporter office",
		DatasourceID: graph.ID,
		Type:         fieldlink.ItemReadOnly,
		Request:      fieldlink.ItemRequest{Method: "GET", Path: "/users?$filter=mail eq '${reporter.emailAddress}'"},
		Root:         "$.value[*]",
		Template:     "${row.officeLocation}",
	}
	if err := db.CreateItem(ctx, &item); err != nil {
		t.Fatal(err)
	}

	rules := []fieldlink.Rule{
		{Name: "Paris office", Position: 1, Condition: `items["Reporter office"] == "Paris"`,
			Fields: map[string]json.RawMessage{"customfield_1": json.RawMessage(`{"value":"EMEA"}`)}, AddLabels: []string{"office-paris"}},
		{Name: "Default", Position: 2, Comment: "No office", CommentInternal: true},
	}
	for i := range rules {
		if err := db.CreateRule(ctx, &rules[i]); err != nil {
			t.Fatal(err)
		}
	}

	hook := fieldlink.Hook{Name: "Intake", Secret: secretMarker + "hook", JiraDatasourceID: jira.ID, ProjectKeys: []string{"ITH"}}
	if err := db.CreateHook(ctx, &hook); err != nil {
		t.Fatal(err)
	}
}

// configByName reads the folder's configuration with IDs replaced by names,
// so two folders whose stores assigned other IDs can be compared.
func configByName(t *testing.T, dir string) config.Document {
	t.Helper()
	db := openDataFolder(t, dir)
	defer db.Close()

	doc, err := config.Export(context.Background(), storesOf(db))
	if err != nil {
		t.Fatal(err)
	}

	names := map[string]string{}
	for i := range doc.Datasources {
		names[doc.Datasources[i].ID] = doc.Datasources[i].Name
		doc.Datasources[i].ID = ""
	}
	for i := range doc.Items {
		doc.Items[i].ID = ""
		doc.Items[i].Datasource = names[doc.Items[i].Datasource]
	}
	for i := range doc.Rules {
		doc.Rules[i].ID = ""
	}
	for i := range doc.Hooks {
		doc.Hooks[i].ID = ""
		doc.Hooks[i].JiraDatasource = names[doc.Hooks[i].JiraDatasource]
	}
	doc.ID, doc.ExportedAt = "", doc.ExportedAt.Truncate(0)
	return doc
}

// runCommand runs the fieldlink command line and returns its standard
// output and error.
func runCommand(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv(seal.EnvVar, "")

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestExportImportRoundTrip(t *testing.T) {
	source, sourceKey := newDataFolder(t)
	fillDataFolder(t, source)
	target, targetKey := newDataFolder(t)
	if bytes.Equal(sourceKey, targetKey) {
		t.Fatal("the two data folders have the same master key")
	}

	file := filepath.Join(t.TempDir(), "config.json")
	keyFile := filepath.Join(t.TempDir(), "transport.key")
	if _, stderr, err := runCommand(t, "export", "--data", source, "-o", file, "--transport-key-file", keyFile); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	stdout, stderr, err := runCommand(t, "import", "--data", target, "-f", file, "--transport-key-file", keyFile)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "Imported 2 datasources, 1 items, 2 rules, 1 hooks, 0 admins and 0 API tokens.") {
		t.Errorf("import summary = %q, want the counts", stdout)
	}

	ignore := cmpopts.IgnoreFields(config.DatasourceRecord{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(configByName(t, target), configByName(t, source), ignore, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(config.Document{}, "ExportedAt")); diff != "" {
		t.Errorf("imported configuration differs (-got +want):\n%s", diff)
	}

	db := openDataFolder(t, target)
	defer db.Close()
	list, err := db.ListDatasources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range list {
		opened, err := db.FindDatasource(context.Background(), ds.ID)
		if err != nil {
			t.Fatalf("find datasource %q in the target: %v", ds.Name, err)
		}
		if !strings.HasPrefix(opened.Auth.Password, secretMarker) {
			t.Errorf("datasource %q password = %q, want the source's secret", ds.Name, opened.Auth.Password)
		}
	}
}

func TestExportFileSecretModes(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	keyFile := filepath.Join(t.TempDir(), "transport.key")

	tests := []struct {
		name       string
		flags      []string
		wantSecret bool
		wantMode   config.SecretMode
	}{
		{"sealed", []string{"--transport-key-file", keyFile}, false, config.SecretsSealed},
		{"without secrets", []string{"--without-secrets"}, false, config.SecretsOmitted},
		{"plaintext", []string{"--plaintext-secrets"}, true, config.SecretsPlaintext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCommand(t, append([]string{"export", "--data", source}, tt.flags...)...)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}

			if got := strings.Count(stdout, secretMarker); (got > 0) != tt.wantSecret {
				t.Errorf("the document contains %d secrets, want secrets: %v", got, tt.wantSecret)
			}
			if tt.wantSecret && !strings.Contains(stderr, "WARNING") {
				t.Errorf("stderr = %q, want a warning about clear-text secrets", stderr)
			}

			masterKeys, err := os.ReadFile(filepath.Join(source, "master.key"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stdout, strings.TrimSpace(string(masterKeys))) {
				t.Error("the document contains the master key")
			}

			var doc config.Document
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Format != config.FormatVersion || doc.Secrets != tt.wantMode {
				t.Errorf("format %d, secrets %q, want %d, %q", doc.Format, doc.Secrets, config.FormatVersion, tt.wantMode)
			}
		})
	}
}

func TestExportRequiresSecretMode(t *testing.T) {
	source, _ := newDataFolder(t)

	_, stderr, err := runCommand(t, "export", "--data", source)
	if err == nil {
		t.Fatal("export without a secret mode succeeded, want an error")
	}
	if !strings.Contains(stderr, "--transport-key-file") {
		t.Errorf("stderr = %q, want it to name --transport-key-file", stderr)
	}
}

// exportSealed exports the source folder with secrets sealed and returns
// the document file and the transport key file.
func exportSealed(t *testing.T, source string) (string, string) {
	t.Helper()

	file := filepath.Join(t.TempDir(), "config.json")
	keyFile := filepath.Join(t.TempDir(), "transport.key")
	if _, stderr, err := runCommand(t, "export", "--data", source, "-o", file, "--transport-key-file", keyFile); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	return file, keyFile
}

func TestImportRejects(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)

	otherKeyFile := filepath.Join(t.TempDir(), "other.key")
	if err := seal.WriteKeyFile(otherKeyFile, [][]byte{seal.GenerateKey()}); err != nil {
		t.Fatal(err)
	}

	newerFile := filepath.Join(t.TempDir(), "newer.json")
	brokenRefFile := filepath.Join(t.TempDir(), "broken.json")
	writeChangedDocument(t, file, newerFile, func(doc map[string]any) { doc["format"] = config.FormatVersion + 1 })
	writeChangedDocument(t, file, brokenRefFile, func(doc map[string]any) {
		doc["items"].([]any)[0].(map[string]any)["datasource"] = "ds_missing"
	})

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"wrong transport key", []string{"-f", file, "--transport-key-file", otherKeyFile}, "give the key file that the export wrote"},
		{"missing key file", []string{"-f", file, "--transport-key-file", filepath.Join(t.TempDir(), "none.key")}, "does not exist"},
		{"no key file", []string{"-f", file}, "--transport-key-file"},
		{"newer format", []string{"-f", newerFile, "--transport-key-file", keyFile}, fmt.Sprintf("format version %d", config.FormatVersion+1)},
		{"unknown datasource", []string{"-f", brokenRefFile, "--transport-key-file", keyFile}, `item "Reporter office" field datasource names datasource "ds_missing"`},
		{"non-empty target", []string{"-f", file, "--transport-key-file", keyFile, "--data", source}, "the target already contains 6 records that the import collides with:\n  datasource \"Jira\" (ds_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, _ := newDataFolder(t)
			if tt.name == "non-empty target" {
				target = source
			}
			before := configByName(t, target)

			_, _, err := runCommand(t, append([]string{"import", "--data", target}, tt.args...)...)
			if err == nil {
				t.Fatal("import succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(configByName(t, target), before, cmpopts.IgnoreFields(config.Document{}, "ExportedAt")); diff != "" {
				t.Errorf("the target changed (-got +want):\n%s", diff)
			}
		})
	}
}

func TestImportUndoesFailedWrite(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)

	// Two hooks with one name pass the document checks, but the store
	// rejects the second, after every other record was written.
	broken := filepath.Join(t.TempDir(), "broken.json")
	writeChangedDocument(t, file, broken, func(doc map[string]any) {
		hooks := doc["hooks"].([]any)
		second := map[string]any{}
		for k, v := range hooks[0].(map[string]any) {
			second[k] = v
		}
		second["id"] = "hk_second"
		delete(second, "sealedSecrets")
		doc["hooks"] = append(hooks, second)
	})

	target, _ := newDataFolder(t)
	_, _, err := runCommand(t, "import", "--data", target, "-f", broken, "--transport-key-file", keyFile)
	if err == nil {
		t.Fatal("import succeeded, want an error for the second hook")
	}
	if !strings.Contains(err.Error(), `hook "Intake" (hk_second)`) {
		t.Errorf("error = %q, want it to name the second hook", err)
	}

	got := configByName(t, target)
	if n := len(got.Datasources) + len(got.Items) + len(got.Rules) + len(got.Hooks); n != 0 {
		t.Errorf("the target holds %d records after the failed import, want none", n)
	}
}

func TestImportReplace(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)

	_, _, err := runCommand(t, "import", "--data", source, "-f", file, "--transport-key-file", keyFile, "--replace")
	if err != nil {
		t.Fatalf("import --replace: %v", err)
	}

	got := configByName(t, source)
	if len(got.Datasources) != 2 || len(got.Items) != 1 || len(got.Rules) != 2 || len(got.Hooks) != 1 {
		t.Errorf("after --replace: %d datasources, %d items, %d rules, %d hooks, want 2, 1, 2, 1",
			len(got.Datasources), len(got.Items), len(got.Rules), len(got.Hooks))
	}
}

// writeChangedDocument writes the document at from to to, changed by change.
func writeChangedDocument(t *testing.T, from, to string, change func(map[string]any)) {
	t.Helper()

	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// addAccounts creates the admin "ana" and the API token "monitoring" in
// the data folder.
func addAccounts(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db := openDataFolder(t, dir)
	defer db.Close()

	if err := db.CreateAdmin(ctx, "ana", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"); err != nil {
		t.Fatal(err)
	}
	token := auth.Token{Name: "monitoring", Scope: auth.ScopeReadOnly, Hash: strings.Repeat("ab", 32), CreatedBy: "admin-token"}
	if err := db.CreateToken(ctx, &token); err != nil {
		t.Fatal(err)
	}
}

func TestImportConflictsWriteNothing(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	addAccounts(t, source)
	file, keyFile := exportSealed(t, source)
	env := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}

	for _, target := range newBackendTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			importArgs := append([]string{"import", "-f", file, "--transport-key-file", keyFile}, target.flags...)

			// A target with one admin of the same name: the import is
			// rejected before any record is written.
			mustRunBinary(t, env, append([]string{"migrate"}, target.flags...)...)
			if out, err := runWithStdin(t, movePassword+"\n", env, append([]string{"admin", "create", "--username", "ana"}, target.flags...)...); err != nil {
				t.Fatalf("admin create: %v\n%s", err, out)
			}
			before := exportPlaintext(t, env, target.flags...)
			_, stderr, err := runBinary(t, env, importArgs...)
			if err == nil {
				t.Fatal("import over an admin of the same name succeeded, want an error")
			}
			for _, want := range []string{`admin "ana" (same username)`, "Nothing was written", "--replace"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("error lacks %q:\n%s", want, stderr)
				}
			}
			ignore := cmpopts.IgnoreFields(config.Document{}, "ID", "ExportedAt")
			if diff := cmp.Diff(exportPlaintext(t, env, target.flags...), before, ignore); diff != "" {
				t.Errorf("the rejected import changed the target (-got +want):\n%s", diff)
			}

			// --replace replaces the admin, and a second import collides
			// with every record of the first.
			out := mustRunBinary(t, env, append(importArgs, "--replace")...)
			if !strings.Contains(out, "Imported 2 datasources, 1 items, 2 rules, 1 hooks, 1 admins and 1 API tokens.") || !strings.Contains(out, "\n  replaced admin \"ana\" (same username)\n") {
				t.Errorf("import --replace output:\n%s", out)
			}
			before = exportPlaintext(t, env, target.flags...)
			_, stderr, err = runBinary(t, env, importArgs...)
			if err == nil {
				t.Fatal("a second import succeeded, want an error")
			}
			for _, want := range []string{"\n  datasource \"Jira\" (ds_", ", same ID and name)\n", "\n  API token \"monitoring\" (tk_"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("error lacks %q:\n%s", want, stderr)
				}
			}
			if diff := cmp.Diff(exportPlaintext(t, env, target.flags...), before, ignore); diff != "" {
				t.Errorf("the rejected import changed the target (-got +want):\n%s", diff)
			}

			want := exportPlaintext(t, nil, "--data", source)
			compareIgnoring := []cmp.Option{ignore, cmpopts.EquateEmpty()}
			if diff := cmp.Diff(before, want, compareIgnoring...); diff != "" {
				t.Errorf("the target differs from the source (-got +want):\n%s", diff)
			}
		})
	}
}

func TestImportRejectsOtherMasterKey(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)
	firstKey := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}
	otherKey := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}

	for _, target := range newBackendTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			importArgs := append([]string{"import", "-f", file, "--transport-key-file", keyFile, "--replace"}, target.flags...)
			mustRunBinary(t, firstKey, importArgs...)
			before := exportPlaintext(t, firstKey, target.flags...)

			_, stderr, err := runBinary(t, otherKey, importArgs...)
			if err == nil {
				t.Fatal("import under another master key succeeded, want an error")
			}
			if !strings.Contains(stderr, "does not open the target database's master key check") {
				t.Errorf("error does not name the master key check:\n%s", stderr)
			}
			ignore := cmpopts.IgnoreFields(config.Document{}, "ID", "ExportedAt")
			if diff := cmp.Diff(exportPlaintext(t, firstKey, target.flags...), before, ignore); diff != "" {
				t.Errorf("the rejected import changed the target (-got +want):\n%s", diff)
			}
		})
	}
}

func TestImportWarnsAboutRejectedDatasource(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)
	changedFile := filepath.Join(t.TempDir(), "changed.json")
	writeChangedDocument(t, file, changedFile, func(doc map[string]any) {
		doc["datasources"].([]any)[0].(map[string]any)["headers"] = map[string]any{"X-Api-Key": "MARKER-header-2b8d"}
	})
	target, _ := newDataFolder(t)

	_, stderr, err := runCommand(t, "import", "--data", target, "-f", changedFile, "--transport-key-file", keyFile)

	if err != nil {
		t.Fatalf("import failed: %v", err)
	}
	if !strings.Contains(stderr, "Warning: datasource") || !strings.Contains(stderr, "headers.X-Api-Key carries a credential") {
		t.Errorf("import did not warn about the credential header:\n%s", stderr)
	}
	if strings.Contains(stderr, "MARKER-header-2b8d") {
		t.Errorf("the warning shows the header's value:\n%s", stderr)
	}
	if got := len(configByName(t, target).Datasources); got != len(configByName(t, source).Datasources) {
		t.Errorf("%d datasources imported, want all of them", got)
	}
}
