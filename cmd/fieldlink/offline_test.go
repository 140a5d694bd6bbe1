package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
)

// withPassword returns the PostgreSQL URL with a password added. The test
// server trusts local connections, so it ignores the password, and a test
// can check that no output shows it.
func withPassword(t *testing.T, database, password string) string {
	t.Helper()

	u, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// keywordValue returns the PostgreSQL URL as a libpq keyword/value string
// with a password, such as "host=127.0.0.1 port=5432 user=postgres
// password=… dbname=… sslmode=disable".
func keywordValue(t *testing.T, database, password string) string {
	t.Helper()

	u, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable",
		u.Hostname(), u.Port(), u.User.Username(), password, strings.TrimPrefix(u.Path, "/"))
}

func TestOfflineCommandsNameDatabase(t *testing.T) {
	const password = "n0t-Shown-anywhere"
	env := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	document, transportKey := exportSealed(t, source)

	sqliteDir := t.TempDir()
	pgURL := withPassword(t, pgtest.NewDatabase(t), password)
	keywords := keywordValue(t, pgtest.NewDatabase(t), password)
	targets := []struct {
		name  string
		flags []string
		want  string
	}{
		{"sqlite", []string{"--data", sqliteDir}, "Database: " + filepath.Join(sqliteDir, "fieldlink.db") + " (SQLite, the file in --data, because --database and FIELDLINK_DATABASE are empty)"},
		{"postgres URL", []string{"--data", t.TempDir(), "--database", pgURL}, "Database: " + strings.Replace(pgURL, password, "xxxxx", 1) + " (PostgreSQL)"},
		{"postgres keyword/value", []string{"--data", t.TempDir(), "--database", keywords}, "Database: " + strings.Replace(keywords, password, "xxxxx", 1) + " (PostgreSQL)"},
	}
	for _, target := range targets {
		t.Run(target.name, func(t *testing.T) {
			commands := [][]string{
				{"migrate"},
				{"migrate", "--status"},
				{"import", "-f", document, "--transport-key-file", transportKey},
				{"keys", "reseal"},
				{"export", "--without-secrets"},
				{"admin", "list"},
			}
			for _, args := range commands {
				stdout, stderr, err := runBinary(t, env, append(args, target.flags...)...)
				if err != nil {
					t.Fatalf("%s: %v\n%s%s", args, err, stdout, stderr)
				}
				// migrate adds to the line that the file did not exist yet.
				if !strings.Contains("\n"+stdout+stderr, "\n"+strings.TrimSuffix(target.want, ")")) {
					t.Errorf("%s: output lacks the line %q:\n%s%s", args, target.want, stdout, stderr)
				}
				if strings.Contains(stdout+stderr, password) {
					t.Errorf("%s: output contains the database password:\n%s%s", args, stdout, stderr)
				}
			}

			out, err := runWithStdin(t, movePassword+"\n", env, append([]string{"admin", "create", "--username", "ana"}, target.flags...)...)
			if err != nil || !strings.Contains(out, target.want+"\n") {
				t.Errorf("admin create: error %v, output lacks the line %q:\n%s", err, target.want, out)
			}
		})
	}
}

func TestExportEmptyWarns(t *testing.T) {
	for _, target := range newBackendTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			env := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}
			mustRunBinary(t, env, append([]string{"migrate"}, target.flags...)...)

			stdout, stderr, err := runBinary(t, env, append([]string{"export", "--without-secrets"}, target.flags...)...)
			if err != nil {
				t.Fatalf("export of an empty database: %v, want exit code 0\n%s", err, stderr)
			}
			name := target.path
			if name == "" {
				name = target.flags[len(target.flags)-1]
			}
			if !strings.Contains(stderr, "WARNING: ") || !strings.Contains(stderr, "database "+name+" contains no datasources") {
				t.Errorf("standard error does not warn that %s holds nothing:\n%s", name, stderr)
			}
			if !strings.Contains(stdout, `"datasources": null`) {
				t.Errorf("standard output is not the empty document:\n%s", stdout)
			}
		})
	}
}

func TestDatabaseFolderRejected(t *testing.T) {
	// No master key: the folder must be reported before the missing key.
	env := []string{seal.EnvVar + "="}
	folder := t.TempDir()
	source, _ := newDataFolder(t)
	document, transportKey := exportSealed(t, source)

	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "--status"},
		{"admin", "list"},
		{"keys", "reseal"},
		{"export", "--without-secrets"},
		{"import", "-f", document, "--transport-key-file", transportKey},
	} {
		_, stderr, err := runBinary(t, env, append(args, "--data", t.TempDir(), "--database", folder)...)
		if err == nil {
			t.Errorf("%s with a folder as --database succeeded, want an error", args)
			continue
		}
		if !strings.Contains(stderr, "--database "+folder+" is a folder") || !strings.Contains(stderr, "postgres:// URL") {
			t.Errorf("%s: error does not say that the database is a folder:\n%s", args, stderr)
		}
		if strings.Contains(stderr, "(14)") {
			t.Errorf("%s: error shows SQLite's code:\n%s", args, stderr)
		}
	}
}

// importedMasterKeyCheck imports the source's document into the target
// under a master key of its own from the environment, so the target holds
// a master key check, and returns the import arguments.
func importedMasterKeyCheck(t *testing.T, flags []string) []string {
	t.Helper()

	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	document, transportKey := exportSealed(t, source)
	args := append([]string{"import", "-f", document, "--transport-key-file", transportKey, "--replace"}, flags...)
	mustRunBinary(t, []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}, args...)
	return args
}

func TestImportWithoutKeyCreatesNoKeyFile(t *testing.T) {
	sqliteDir := t.TempDir()
	pgDataDir := t.TempDir()
	targets := []struct {
		name    string
		dataDir string
		flags   []string
	}{
		{"sqlite", sqliteDir, []string{"--data", sqliteDir}},
		{"postgres", pgDataDir, []string{"--data", pgDataDir, "--database", pgtest.NewDatabase(t)}},
	}
	for _, target := range targets {
		t.Run(target.name, func(t *testing.T) {
			args := importedMasterKeyCheck(t, target.flags)

			// No FIELDLINK_MASTER_KEY and no master.key in --data: the
			// import must not create a key the servers do not have.
			stdout, stderr, err := runBinary(t, []string{seal.EnvVar + "="}, args...)
			if err == nil {
				t.Fatalf("import without the servers' master key succeeded:\n%s", stdout)
			}
			for _, want := range []string{"nothing was imported", seal.EnvVar + "=$(cat master.key)"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("error lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stdout+stderr, "Created master key file") {
				t.Errorf("output announces a master key file:\n%s%s", stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(target.dataDir, "master.key")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the rejected import left %s behind (stat: %v)", filepath.Join(target.dataDir, "master.key"), err)
			}
		})
	}
}

func TestImportToPostgresNeedsSharedKey(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	document, transportKey := exportSealed(t, source)
	database := pgtest.NewDatabase(t)
	dataDir := filepath.Join(t.TempDir(), "data")

	// A new PostgreSQL database has no master key check, but its replicas
	// share one key, which a key file new in this data folder is not.
	stdout, stderr, err := runBinary(t, []string{seal.EnvVar + "="}, "import", "--data", dataDir, "--database", database, "-f", document, "--transport-key-file", transportKey)
	if err == nil {
		t.Fatalf("import into PostgreSQL without a master key succeeded:\n%s", stdout)
	}
	for _, want := range []string{"no master key for PostgreSQL database", "nothing was imported", "openssl rand -base64 32"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the rejected import created %s (stat: %v)", dataDir, err)
	}

	// A key file with one key serves as FIELDLINK_MASTER_KEY through
	// $(cat master.key), as the guide says.
	script := `FIELDLINK_MASTER_KEY=$(cat "$1/master.key") exec "$2" import --data "$3" --database "$4" -f "$5" --transport-key-file "$6"`
	cmd := exec.Command("sh", "-c", script, "sh", source, binary, dataDir, database, document, transportKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("import with FIELDLINK_MASTER_KEY=$(cat master.key): %v\n%s", err, out)
	}
	sourceKeys, err := seal.ReadKeyFile(filepath.Join(source, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sourceEnv := []string{seal.EnvVar + "=" + seal.EncodeKey(sourceKeys[0])}
	listed := mustRunBinary(t, sourceEnv, "keys", "reseal", "--data", dataDir, "--database", database)
	if !strings.Contains(listed, "under key ID "+seal.KeyID(sourceKeys[0])) {
		t.Errorf("keys reseal with the source's key:\n%s", listed)
	}
}

func TestImportFailureRemovesCreatedFiles(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)

	// A second hook with the first one's name passes the document checks,
	// and the store rejects it after the key file and the database exist.
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

	dataDir := filepath.Join(t.TempDir(), "new-data")
	stdout, stderr, err := runBinary(t, []string{seal.EnvVar + "="}, "import", "--data", dataDir, "-f", broken, "--transport-key-file", keyFile)
	if err == nil {
		t.Fatalf("import succeeded, want an error for the second hook:\n%s", stdout)
	}
	if !strings.Contains(stderr, `hook "Intake" (hk_second)`) {
		t.Errorf("error does not name the second hook, which the store rejects:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "Created ") {
		t.Errorf("the failed import announces what it created:\n%s%s", stdout, stderr)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, fs.ErrNotExist) {
		entries, _ := os.ReadDir(dataDir)
		t.Errorf("the failed import left the data folder %s with %d entries (stat: %v)", dataDir, len(entries), err)
	}
}

func TestImportReplaceListsRecords(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	file, keyFile := exportSealed(t, source)

	// The target holds the source's records under the same IDs, and
	// records of its own: one named like a record of the document under
	// another ID, one the document does not have.
	target, _ := newDataFolder(t)
	mustRunBinary(t, nil, "import", "--data", target, "-f", file, "--transport-key-file", keyFile)
	db := openDataFolder(t, target)
	ctx := t.Context()
	hooks, err := db.ListHooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	intake := hooks[0]
	if err := db.DeleteHook(ctx, intake.ID); err != nil {
		t.Fatal(err)
	}
	intake.ID = ""
	if err := db.CreateHook(ctx, &intake); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListDatasources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	extra := list[0]
	extra.ID, extra.Name = "", "Old CMDB"
	if err := db.CreateDatasource(ctx, &extra); err != nil {
		t.Fatal(err)
	}
	db.Close()

	stdout, stderr, err := runBinary(t, nil, "import", "--data", target, "-f", file, "--transport-key-file", keyFile)
	if err == nil {
		t.Fatalf("import into a target with records succeeded:\n%s", stdout)
	}
	for _, want := range []string{
		"\n  hook \"Intake\" (" + intake.ID + ", same name)\n",
		"\n  datasource \"Old CMDB\" (" + extra.ID + ", not in the document)\n",
		"\n  datasource \"Jira\" (ds_",
		"\n  rule \"Default\" (ru_",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the collision list lacks %q:\n%s", want, stderr)
		}
	}

	out := mustRunBinary(t, nil, "import", "--data", target, "-f", file, "--transport-key-file", keyFile, "--replace")
	for _, want := range []string{
		"Replaced or deleted 7 records of the target that the import collided with:\n",
		"\n  deleted hook \"Intake\" (" + intake.ID + ", same name)\n",
		"\n  deleted datasource \"Old CMDB\" (" + extra.ID + ", not in the document)\n",
		"\n  replaced item \"Reporter office\" (it_",
		", same ID and name)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the --replace output lacks %q:\n%s", want, out)
		}
	}
}

func TestImportReadsFormat2(t *testing.T) {
	// The key file of the fixture is copied, because git does not keep
	// the mode 0600 that a key file needs.
	keyText, err := os.ReadFile(filepath.Join("..", "..", "config", "testdata", "format2-transport.key"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "transport.key")
	if err := os.WriteFile(keyFile, keyText, 0o600); err != nil {
		t.Fatal(err)
	}
	document, err := filepath.Abs(filepath.Join("..", "..", "config", "testdata", "format2-sealed.json"))
	if err != nil {
		t.Fatal(err)
	}

	target, _ := newDataFolder(t)
	out := mustRunBinary(t, nil, "import", "--data", target, "-f", document, "--transport-key-file", keyFile)
	if !strings.Contains(out, "Imported 2 datasources, 1 items, 2 rules, 1 hooks, 1 admins and 1 API tokens.") {
		t.Errorf("import of a format 2 document:\n%s", out)
	}

	doc := exportPlaintext(t, nil, "--data", target)
	if len(doc.Items) != 1 || doc.Items[0].LookupTokenHash != strings.Repeat("cd", 32) || doc.Items[0].Datasource == "" {
		t.Errorf("items after importing format 2: %+v, want one with its datasource and lookup token hash", doc.Items)
	}
}
