package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"

	// Registers the "pgx" database/sql driver; the store registers "sqlite".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// backendTarget is a database that the offline commands can be pointed at,
// and the flags that name it.
type backendTarget struct {
	name  string
	flags []string

	// driver and dsn open it with database/sql, to change it behind
	// fieldlink's back.
	driver, dsn string
	// path is the SQLite file, empty on PostgreSQL.
	path string
}

// newBackendTargets returns a new empty SQLite data folder and a new empty
// PostgreSQL database.
func newBackendTargets(t *testing.T) []backendTarget {
	t.Helper()

	dir := t.TempDir()
	path := filepath.Join(dir, "fieldlink.db")
	pgURL := pgtest.NewDatabase(t)
	return []backendTarget{
		{name: "sqlite", flags: []string{"--data", dir}, driver: "sqlite", dsn: path, path: path},
		{name: "postgres", flags: []string{"--data", t.TempDir(), "--database", pgURL}, driver: "pgx", dsn: pgURL},
	}
}

var (
	statusVersionLine = regexp.MustCompile(`(?m)^fieldlink schema version: (\d+) \(latest known: (\d+)\)$`)
	statusRiverLine   = regexp.MustCompile(`(?m)^River schema version: (\d+) \(latest known: (\d+)\)$`)
	migrateLine       = regexp.MustCompile(`(?m)^fieldlink schema version: (\d+) before, (\d+) after \(latest known: (\d+)\)$`)
	migrateRiverLine  = regexp.MustCompile(`(?m)^River schema version: (\d+) before, (\d+) after \(latest known: (\d+)\)$`)
)

// versions returns the numbers that re finds in out, or fails the test.
func versions(t *testing.T, re *regexp.Regexp, out string) []int {
	t.Helper()

	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output lacks a line matching %s:\n%s", re, out)
	}
	var numbers []int
	for _, s := range m[1:] {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	return numbers
}

func TestMigrateAndStatus(t *testing.T) {
	for _, target := range newBackendTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			out := mustRunBinary(t, nil, append([]string{"migrate", "--status"}, target.flags...)...)
			status, river := versions(t, statusVersionLine, out), versions(t, statusRiverLine, out)
			latest, latestRiver := status[1], river[1]
			if status[0] != 0 || river[0] != 0 || latest == 0 || latestRiver == 0 {
				t.Errorf("status of an empty database: fieldlink %v, River %v; want 0 of a positive latest version", status, river)
			}
			if !strings.Contains(out, "Migrations to apply") {
				t.Errorf("status of an empty database does not say to migrate:\n%s", out)
			}
			if !strings.Contains(out, "SQLite and PostgreSQL number their migrations apart") {
				t.Errorf("status does not say that the two databases number their migrations apart:\n%s", out)
			}
			if target.path != "" {
				if _, err := os.Stat(target.path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("migrate --status created %s (stat: %v)", target.path, err)
				}
			}

			out = mustRunBinary(t, nil, append([]string{"migrate"}, target.flags...)...)
			if got, want := versions(t, migrateLine, out), []int{0, latest, latest}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("migrate: fieldlink versions before, after, latest = %v, want %v", got, want)
			}
			if got, want := versions(t, migrateRiverLine, out), []int{0, latestRiver, latestRiver}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("migrate: River versions before, after, latest = %v, want %v", got, want)
			}

			out = mustRunBinary(t, nil, append([]string{"migrate", "--status"}, target.flags...)...)
			if got := versions(t, statusVersionLine, out); got[0] != latest {
				t.Errorf("status after migrate: fieldlink version %d, want %d", got[0], latest)
			}
			if !strings.Contains(out, "Up to date.") {
				t.Errorf("status after migrate does not say up to date:\n%s", out)
			}

			out = mustRunBinary(t, nil, append([]string{"migrate"}, target.flags...)...)
			if !strings.Contains(out, "Nothing to apply") {
				t.Errorf("a second migrate did not say that nothing was left:\n%s", out)
			}
		})
	}
}

func TestMigrateRejectsNewerSchema(t *testing.T) {
	env := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}
	for _, target := range newBackendTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			out := mustRunBinary(t, nil, append([]string{"migrate"}, target.flags...)...)
			latest := versions(t, migrateLine, out)[2]
			newer := latest + 1
			recordMigration(t, target, newer)

			for _, args := range [][]string{{"migrate"}, {"migrate", "--status"}, {"admin", "list"}} {
				stdout, stderr, err := runBinary(t, env, append(args, target.flags...)...)
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Errorf("%s on a newer schema: error %v, want exit code 1\n%s%s", args, err, stdout, stderr)
					continue
				}
				if !strings.Contains(stderr, "newer than this fieldlink binary") || !strings.Contains(stderr, strconv.Itoa(newer)) {
					t.Errorf("%s: message does not name the newer schema version %d:\n%s", args, newer, stderr)
				}
				if !strings.Contains(stderr, "newer fieldlink release") && !strings.Contains(stderr, "fieldlink release at least as new") {
					t.Errorf("%s: message does not say to run a newer fieldlink:\n%s", args, stderr)
				}
			}
		})
	}
}

// recordMigration records a migration of version in the database, as a
// newer fieldlink would.
func recordMigration(t *testing.T, target backendTarget, version int) {
	t.Helper()

	db, err := sql.Open(target.driver, target.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	query := `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	if target.driver == "pgx" {
		query = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
	}
	if _, err := db.ExecContext(context.Background(), query, version, fmt.Sprintf("%04d_from_a_newer_release", version), "2030-01-01T00:00:00.000000000Z"); err != nil {
		t.Fatalf("record migration %d: %v", version, err)
	}
}

func TestDatabaseFlagErrors(t *testing.T) {
	const password = "s3cret-Pa55word"
	env := []string{seal.EnvVar + "=" + seal.EncodeKey(seal.GenerateKey())}
	emptyFolder, _ := newDataFolder(t)
	document, transportKey := exportSealed(t, emptyFolder)
	emptyDatabase := pgtest.NewDatabase(t)

	commands := [][]string{
		{"admin", "list"},
		{"keys", "reseal"},
		{"export", "--without-secrets"},
		{"import", "-f", document, "--transport-key-file", transportKey},
		{"migrate"},
		{"migrate", "--status"},
	}
	databases := []struct {
		name     string
		database string
		want     string
	}{
		{"bad URL", "postgres://fieldlink:" + password + "@127.0.0.1:notaport/fieldlink", "does not parse"},
		{"unreachable server", "postgres://fieldlink:" + password + "@127.0.0.1:1/fieldlink", "check that the server runs"},
	}
	for _, db := range databases {
		for _, args := range commands {
			t.Run(db.name+"/"+strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
				stdout, stderr, err := runBinary(t, env, append(args, "--data", t.TempDir(), "--database", db.database)...)
				if err == nil {
					t.Fatalf("succeeded, want an error:\n%s", stdout)
				}
				if !strings.Contains(stderr, db.want) {
					t.Errorf("error does not say %q:\n%s", db.want, stderr)
				}
				if strings.Contains(stdout+stderr, password) {
					t.Errorf("output contains the password:\n%s%s", stdout, stderr)
				}
			})
		}
	}

	t.Run("no fieldlink tables", func(t *testing.T) {
		for _, args := range [][]string{{"admin", "list"}, {"keys", "reseal"}, {"export", "--without-secrets"}} {
			_, stderr, err := runBinary(t, env, append(args, "--data", t.TempDir(), "--database", emptyDatabase)...)
			if err == nil || !strings.Contains(stderr, "has no fieldlink tables") || !strings.Contains(stderr, "fieldlink migrate") {
				t.Errorf("%s on a database without tables: error %v, want one that says to migrate:\n%s", args, err, stderr)
			}
		}
	})
}

func TestOfflineCommandsOnPostgres(t *testing.T) {
	pgURL := pgtest.NewDatabase(t)
	dataDir := t.TempDir()
	key := seal.GenerateKey()
	if err := seal.WriteKeyFile(filepath.Join(dataDir, "master.key"), [][]byte{key}); err != nil {
		t.Fatal(err)
	}
	mustRunBinary(t, nil, "migrate", "--database", pgURL)

	// FIELDLINK_DATABASE has the meaning of --database.
	out, err := runWithStdin(t, movePassword+"\n", []string{"FIELDLINK_DATABASE=" + pgURL}, "admin", "create", "--username", "ana", "--data", dataDir)
	if err != nil {
		t.Fatalf("admin create with FIELDLINK_DATABASE: %v\n%s", err, out)
	}
	out = mustRunBinary(t, nil, "admin", "list", "--data", dataDir, "--database", pgURL)
	if !strings.HasPrefix(out, "ana\t") {
		t.Errorf("admin list on PostgreSQL = %q, want ana", out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "fieldlink.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the commands on PostgreSQL created an SQLite file in the data folder (stat: %v)", err)
	}

	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	document, transportKey := exportSealed(t, source)
	mustRunBinary(t, nil, "import", "--data", dataDir, "--database", pgURL, "-f", document, "--transport-key-file", transportKey)

	out = mustRunBinary(t, nil, "keys", "reseal", "--data", dataDir, "--database", pgURL)
	// Two datasources' secrets, a hook's secret and the master key check.
	if !strings.Contains(out, "Re-sealed 4 values under key ID "+seal.KeyID(key)) {
		t.Errorf("keys reseal on PostgreSQL: %q, want 4 values re-sealed under key ID %s", out, seal.KeyID(key))
	}

	out = mustRunBinary(t, nil, "keys", "rotate", "--data", dataDir, "--database", pgURL)
	if !strings.Contains(out, "Re-sealed 4 values under the new key ID") || !strings.Contains(out, "--database 'postgres://") {
		t.Errorf("keys rotate on PostgreSQL: output lacks the count or the --database of the next step:\n%s", out)
	}
}
