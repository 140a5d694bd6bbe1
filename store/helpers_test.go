package store

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
)

// The store's tests form one conformance suite: each test that goes through
// forEachBackend or forEachDatabase runs as the subtests "sqlite" and
// "postgres", with the same assertions, so both databases behave alike. A
// test of a feature that only one database has states why in its doc
// comment.

// TestMain runs up to eight tests at once unless -parallel sets another
// number. The tests spend most of their time waiting for PostgreSQL to
// create, migrate and drop their databases, so running more of them than
// GOMAXPROCS, the default, shortens the run on a machine with few cores.
// Eight at once held at most 17 connections to the server in a run on a
// 2-core machine, far below PostgreSQL's default max_connections of 100.
func TestMain(m *testing.M) {
	flag.Parse()

	parallelSet := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			parallelSet = true
		}
	})
	if !parallelSet {
		if err := flag.Set("test.parallel", "8"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// backends are the databases that every conformance test runs on, named as
// DB.Backend names them.
var backends = []string{"sqlite", "postgres"}

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()

	s, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	return s
}

// newTestDatabase returns the location of a new empty database of the
// backend, without opening it. For SQLite it is the path of a file in a
// temporary folder. For PostgreSQL it is the URL of a fresh database,
// dropped when the test ends.
func newTestDatabase(t *testing.T, backend string) string {
	t.Helper()

	switch backend {
	case "sqlite":
		return filepath.Join(t.TempDir(), "fieldlink.db")
	case "postgres":
		return pgtest.NewDatabase(t)
	}
	t.Fatalf("unknown backend %q", backend)
	return ""
}

// openTestDB opens a new empty database of the backend and closes it when
// the test ends. It returns the database and its location, which Open
// accepts to open it again.
func openTestDB(t *testing.T, backend string) (*DB, string) {
	t.Helper()

	database := newTestDatabase(t, backend)
	db, err := Open(context.Background(), database, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open %s: %v", backend, err)
	}
	t.Cleanup(func() { db.Close() })

	if got := db.Backend(); got != backend {
		t.Fatalf("Backend() = %q, want %q", got, backend)
	}
	return db, database
}

// forEachBackend runs test once per backend, as a subtest named after it,
// each time on a new empty database. The subtests run in parallel with each
// other and with the other parallel tests.
func forEachBackend(t *testing.T, test func(t *testing.T, db *DB)) {
	t.Helper()

	forEachDatabase(t, func(t *testing.T, database string) {
		db, err := Open(context.Background(), database, testSealer(t), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db)
	})
}

// forEachDatabase runs test once per backend, as a subtest named after it,
// with the location of a new empty database that the test opens itself.
func forEachDatabase(t *testing.T, test func(t *testing.T, database string)) {
	t.Helper()
	t.Parallel()

	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			test(t, newTestDatabase(t, backend))
		})
	}
}

// fixedClock returns a clock that starts at a fixed time and advances one
// second per call, so stored times are predictable and distinct.
func fixedClock() func() time.Time {
	now := time.Date(2025, 3, 4, 9, 30, 0, 123456789, time.UTC)
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}

// wantError fails the test unless err is a *fieldlink.Error with the code
// and a message containing every fragment.
func wantError(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()

	if err == nil {
		t.Fatalf("err = nil, want code %q", code)
	}
	if got := fieldlink.ErrorCode(err); got != code {
		t.Errorf("error code = %q, want %q (error: %v)", got, code, err)
	}
	for _, f := range fragments {
		if !strings.Contains(fieldlink.ErrorMessage(err), f) {
			t.Errorf("error message %q does not contain %q", fieldlink.ErrorMessage(err), f)
		}
	}
}

func createTestDatasource(t *testing.T, db *DB, name string) fieldlink.Datasource {
	t.Helper()

	ds := fieldlink.Datasource{Name: name, BaseURL: "http://127.0.0.1:1/api"}
	if err := db.CreateDatasource(context.Background(), &ds); err != nil {
		t.Fatalf("CreateDatasource %q: %v", name, err)
	}
	return ds
}

// countRows returns the result of a COUNT(*) query, with ? placeholders
// rebound for the database.
func countRows(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()

	var count int
	if err := db.db.QueryRowContext(context.Background(), query, args...).Scan(&count); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return count
}
