package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
)

// readDataFiles returns the bytes of the database file and of its -wal and
// -shm companions, which exist while the database is open.
func readDataFiles(t *testing.T, dir string) []byte {
	t.Helper()

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}

	var all []byte
	for _, entry := range entries {
		data, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		if err != nil {
			t.Fatalf("read %s: %v", entry.Name(), err)
		}
		all = append(all, data...)
	}
	return all
}

func TestSecretsAbsentFromFile(t *testing.T) {
	db, path := openTestDB(t)
	dir := filepath.Dir(path)
	ctx := context.Background()

	ds := fieldlink.Datasource{
		Name:    "Graph",
		BaseURL: "http://127.0.0.1:1",
		Auth: fieldlink.Auth{
			Mode:         fieldlink.AuthOAuth2ClientCredentials,
			ClientID:     "VISIBLE-CLIENT-ID-MARKER",
			Password:     "SECRET-MARKER-password",
			Token:        "SECRET-MARKER-token",
			APIKeyValue:  "SECRET-MARKER-api-key",
			ClientSecret: "SECRET-MARKER-client-secret",

			ClientPrivateKey: "SECRET-MARKER-client-private-key",
			TLSClientKey:     "SECRET-MARKER-tls-client-key",
		},
	}
	if err := db.CreateDatasource(ctx, &ds); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	h := fieldlink.Hook{Name: "Intake", Secret: "SECRET-MARKER-hook"}
	if err := db.CreateHook(ctx, &h); err != nil {
		t.Fatalf("CreateHook: %v", err)
	}

	check := func(when string) {
		data := readDataFiles(t, dir)

		// The plain client ID proves the scan reads the stored rows.
		if !bytes.Contains(data, []byte("VISIBLE-CLIENT-ID-MARKER")) {
			t.Fatalf("%s: the plain client ID is not in the files, so the scan proves nothing", when)
		}
		if bytes.Contains(data, []byte("SECRET-MARKER")) {
			t.Errorf("%s: a secret is stored in clear text", when)
		}
	}

	check("while open")

	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check("after close")
}

func TestSecretsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fieldlink.db")
	ctx := context.Background()

	db, err := Open(ctx, path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ds := graphDatasource()
	if err := db.CreateDatasource(ctx, &ds); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	h := fieldlink.Hook{Name: "Intake", Secret: "hook-secret-1"}
	if err := db.CreateHook(ctx, &h); err != nil {
		t.Fatalf("CreateHook: %v", err)
	}
	db.Close()

	// A new Sealer from the same key opens what the first one sealed.
	reopened, err := Open(ctx, path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer reopened.Close()

	gotDS, err := reopened.FindDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatalf("FindDatasource: %v", err)
	}
	if gotDS.Auth.ClientSecret != "client-secret-1" {
		t.Errorf("ClientSecret = %q, want %q", gotDS.Auth.ClientSecret, "client-secret-1")
	}

	gotHook, err := reopened.FindHook(ctx, h.ID)
	if err != nil {
		t.Fatalf("FindHook: %v", err)
	}
	if gotHook.Secret != "hook-secret-1" {
		t.Errorf("hook Secret = %q, want %q", gotHook.Secret, "hook-secret-1")
	}
}

func TestSealedBlobMovedFailsToOpen(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()

	source := graphDatasource()
	if err := db.CreateDatasource(ctx, &source); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	target := fieldlink.Datasource{Name: "Other", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "t"}}
	if err := db.CreateDatasource(ctx, &target); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	sourceHook := fieldlink.Hook{Name: "Source", Secret: "hook-secret-1"}
	targetHook := fieldlink.Hook{Name: "Target", Secret: "hook-secret-2"}
	for _, h := range []*fieldlink.Hook{&sourceHook, &targetHook} {
		if err := db.CreateHook(ctx, h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
	}

	// Copy each sealed blob onto the other row, as someone editing the
	// file by hand could.
	moves := []string{
		`UPDATE datasources SET auth_sealed = (SELECT auth_sealed FROM datasources WHERE id = ?1) WHERE id = ?2`,
		`UPDATE hooks SET secret_sealed = (SELECT secret_sealed FROM hooks WHERE id = ?1) WHERE id = ?2`,
	}
	if _, err := db.SQL().ExecContext(ctx, moves[0], source.ID, target.ID); err != nil {
		t.Fatalf("move datasource blob: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, moves[1], sourceHook.ID, targetHook.ID); err != nil {
		t.Fatalf("move hook blob: %v", err)
	}

	_, err := db.FindDatasource(ctx, target.ID)
	if !errors.Is(err, seal.ErrAuthentication) {
		t.Errorf("FindDatasource with a moved blob: err = %v, want seal.ErrAuthentication", err)
	}
	if err != nil && strings.Contains(err.Error(), "client-secret-1") {
		t.Errorf("error %q contains the secret", err)
	}

	_, err = db.FindHook(ctx, targetHook.ID)
	if !errors.Is(err, seal.ErrAuthentication) {
		t.Errorf("FindHook with a moved blob: err = %v, want seal.ErrAuthentication", err)
	}

	// The rows the blobs came from still open.
	if _, err := db.FindDatasource(ctx, source.ID); err != nil {
		t.Errorf("FindDatasource on the source row: %v", err)
	}
	if _, err := db.FindHook(ctx, sourceHook.ID); err != nil {
		t.Errorf("FindHook on the source row: %v", err)
	}
}

func TestSecretsOtherKeyFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fieldlink.db")
	ctx := context.Background()

	db, err := Open(ctx, path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ds := graphDatasource()
	if err := db.CreateDatasource(ctx, &ds); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	db.Close()

	otherSealer, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	reopened, err := Open(ctx, path, otherSealer, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer reopened.Close()

	_, err = reopened.FindDatasource(ctx, ds.ID)
	if !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("err = %v, want seal.ErrWrongKey", err)
	}
}
