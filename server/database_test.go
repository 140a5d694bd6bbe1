package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/server"
)

// testMasterKey is a fixed master key (base64 of 32 bytes) for servers
// that share a PostgreSQL database.
const testMasterKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestPostgresStartNeedsSharedMasterKey(t *testing.T) {
	dataDir := t.TempDir()
	_, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: dataDir, Database: pgtest.NewDatabase(t), AdminToken: adminToken,
	})
	if err == nil {
		t.Fatal("Start on PostgreSQL without a master key succeeded")
	}
	if !strings.Contains(err.Error(), "FIELDLINK_MASTER_KEY") {
		t.Errorf("error = %v, want it to name FIELDLINK_MASTER_KEY", err)
	}
	if _, statErr := os.Stat(filepath.Join(dataDir, "master.key")); statErr == nil {
		t.Error("Start created master.key although it refused to start")
	}
}

func TestSQLiteFileGivenAsDatabaseIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), Database: path, AdminToken: adminToken,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode = %o, want 600", mode)
	}
}
