package store

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/internal/pgtest"
)

func TestOpenRejectsNilSealer(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db, err := Open(context.Background(), database, nil, nil)
		if err == nil {
			db.Close()
			t.Fatal("nil sealer: no error")
		}
		if !strings.Contains(err.Error(), "sealer is nil") {
			t.Errorf("error %q does not say the sealer is nil", err)
		}
	})
}

// TestOpenRejectsBadSQLitePath is SQLite's alone: the checks are on the
// path of the file.
func TestOpenRejectsBadSQLitePath(t *testing.T) {
	ctx := context.Background()

	if _, err := Open(ctx, "", testSealer(t), nil); err == nil {
		t.Error("empty path: no error")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "a?b.db"), testSealer(t), nil); err == nil {
		t.Error(`path with "?": no error`)
	}
}

// TestOpenMissingFolder is SQLite's alone: PostgreSQL has no file to place.
func TestOpenMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "fieldlink.db")

	_, err := Open(context.Background(), path, testSealer(t), nil)
	if err == nil {
		t.Fatal("no error for a file in a missing folder")
	}
	if want := "folder " + filepath.Dir(path) + " does not exist"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// TestOpenBadPostgresURL is the PostgreSQL counterpart of the SQLite path
// checks. A URL that does not parse, names no server or names a missing
// database gives an error that names the problem and never contains the
// password.
func TestOpenBadPostgresURL(t *testing.T) {
	const password = "pw-Secret-9f3a"

	// A database on the test server, so the server is known to run.
	server, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatalf("parse test database URL: %v", err)
	}
	missingDatabase := *server
	missingDatabase.User = url.UserPassword(server.User.Username(), password)
	missingDatabase.Path = "/fieldlink_no_such_database"

	tests := []struct {
		name     string
		database string
		want     []string
	}{
		{"port not a number", "postgres://fieldlink:" + password + "@127.0.0.1:notaport/fieldlink", []string{"does not parse", "invalid port"}},
		{"unknown sslmode", "postgres://fieldlink:" + password + "@127.0.0.1:5432/fieldlink?sslmode=sometimes", []string{"does not parse", "sslmode"}},
		{"no server", "postgres://fieldlink:" + password + "@127.0.0.1:1/fieldlink?connect_timeout=5", []string{"127.0.0.1:1", "check that the server runs"}},
		{"missing database", missingDatabase.String(), []string{"fieldlink_no_such_database", "does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

			db, err := Open(context.Background(), tt.database, testSealer(t), logger)
			if err == nil {
				db.Close()
				t.Fatal("no error")
			}
			for _, fragment := range tt.want {
				if !strings.Contains(err.Error(), fragment) {
					t.Errorf("error %q does not contain %q", err, fragment)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q contains the password", err)
			}
			if strings.Contains(logs.String(), password) {
				t.Errorf("logs contain the password:\n%s", logs.String())
			}
		})
	}
}

// TestOpenConcurrentlyOnFreshDatabase opens one new database from several
// goroutines at once, as replicas starting together do. Every Open must
// succeed, and each migration must be applied once.
func TestOpenConcurrentlyOnFreshDatabase(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		const opens = 5
		ctx := context.Background()
		logs := &lockedBuffer{}
		logger := slog.New(slog.NewTextHandler(logs, nil))

		dbs := make([]*DB, opens)
		errs := make([]error, opens)
		var wg sync.WaitGroup
		for i := range opens {
			wg.Go(func() {
				dbs[i], errs[i] = Open(ctx, database, testSealer(t), logger)
			})
		}
		wg.Wait()
		for i, db := range dbs {
			if errs[i] != nil {
				t.Errorf("Open %d: %v", i, errs[i])
				continue
			}
			t.Cleanup(func() { db.Close() })
		}
		if t.Failed() {
			return
		}

		db := dbs[0]
		want := embeddedVersions(t, db.Backend())
		if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
			t.Errorf("versions (-want +got):\n%s", diff)
		}
		if got := strings.Count(logs.String(), `msg="database migration applied"`); got != len(want) {
			t.Errorf("migrations applied %d times in all, want %d, once each:\n%s", got, len(want), logs.String())
		}

		riverVersions := countRows(t, db, `SELECT COUNT(*) FROM river_migration`)
		if got := strings.Count(logs.String(), `msg="River migration applied"`); got != riverVersions {
			t.Errorf("River migrations applied %d times in all, want %d, once each", got, riverVersions)
		}

		// Every handle works.
		for i, db := range dbs {
			createTestDatasource(t, db, "Datasource "+string(rune('A'+i)))
		}
	})
}

// lockedBuffer is a bytes.Buffer that several goroutines may write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
