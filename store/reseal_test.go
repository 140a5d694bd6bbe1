package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/google/go-cmp/cmp"
)

func newSealer(t *testing.T, keys ...[]byte) *seal.Sealer {
	t.Helper()

	s, err := seal.New(keys...)
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	return s
}

// keyIDMarker returns the bytes that start every blob sealed under key: the
// format version and the key ID.
func keyIDMarker(t *testing.T, key []byte) []byte {
	t.Helper()

	id, err := hex.DecodeString(seal.KeyID(key))
	if err != nil {
		t.Fatalf("decode key ID: %v", err)
	}
	return append([]byte{1}, id...)
}

// sealedFixture is the records that fillSealed stores, so a test can read
// them back.
type sealedFixture struct {
	datasources []fieldlink.Datasource
	hooks       []fieldlink.Hook
}

// fillSealed fills db with sealed values of every kind.
func fillSealed(t *testing.T, db *DB) sealedFixture {
	t.Helper()
	ctx := context.Background()

	var f sealedFixture
	withSecrets := graphDatasource()
	withKeys := fieldlink.Datasource{
		Name:    "Certificates",
		BaseURL: "https://127.0.0.1:8086",
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			ClientAuthentication: fieldlink.ClientAuthPrivateKeyJWT,
			// Large enough to overflow a page, as a large RSA key in PEM can.
			ClientPrivateKey: testPEM("PRIVATE KEY", string(bytes.Repeat([]byte("client-key-"), 400))),
			TLSClientKey:     testPEM("PRIVATE KEY", "tls-client-key"),
		},
	}
	noSecrets := fieldlink.Datasource{Name: "Public", BaseURL: "http://127.0.0.1:8085"}
	for _, ds := range []fieldlink.Datasource{withSecrets, withKeys, noSecrets} {
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}
		f.datasources = append(f.datasources, ds)
	}

	// An update to a longer secret frees the row's first blob, and a delete
	// frees a whole row, so old blobs sit in free space.
	f.datasources[0].Auth.ClientSecret = "client-secret-changed-to-a-longer-value"
	if err := db.UpdateDatasource(ctx, &f.datasources[0]); err != nil {
		t.Fatalf("UpdateDatasource: %v", err)
	}
	deleted := fieldlink.Datasource{Name: "Deleted", BaseURL: "http://127.0.0.1:8089", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "deleted-token"}}
	if err := db.CreateDatasource(ctx, &deleted); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	if err := db.DeleteDatasource(ctx, deleted.ID); err != nil {
		t.Fatalf("DeleteDatasource: %v", err)
	}

	for _, h := range []fieldlink.Hook{{Name: "Intake", Secret: "hook-secret-1"}, {Name: "Open"}} {
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
		f.hooks = append(f.hooks, h)
	}

	// The master key check, sealed the way the server seals it.
	check, err := db.sealer.Seal([]byte("fieldlink"), []byte("setting:"+MasterKeyCheckSetting))
	if err != nil {
		t.Fatalf("seal key check: %v", err)
	}
	if err := db.SetSetting(ctx, MasterKeyCheckSetting, base64.StdEncoding.EncodeToString(check)); err != nil {
		t.Fatalf("SetSetting: %v", err)
	}
	return f
}

// checkOpens fails the test unless db reads back every record of f and the
// master key check.
func checkOpens(t *testing.T, db *DB, f sealedFixture) {
	t.Helper()
	ctx := context.Background()

	for _, want := range f.datasources {
		got, err := db.FindDatasource(ctx, want.ID)
		if err != nil {
			t.Errorf("FindDatasource %q: %v", want.Name, err)
			continue
		}
		if diff := cmp.Diff(want.Auth, got.Auth); diff != "" {
			t.Errorf("datasource %q auth (-want +got):\n%s", want.Name, diff)
		}
	}

	for _, want := range f.hooks {
		got, err := db.FindHook(ctx, want.ID)
		if err != nil {
			t.Errorf("FindHook %q: %v", want.Name, err)
			continue
		}
		if got.Secret != want.Secret {
			t.Errorf("hook %q secret = %q, want %q", want.Name, got.Secret, want.Secret)
		}
	}

	blob, ok, err := readSealedSetting(ctx, db.db, MasterKeyCheckSetting)
	if err != nil || !ok {
		t.Fatalf("read key check: ok = %v, err = %v", ok, err)
	}
	plaintext, err := db.sealer.Open(blob, []byte("setting:"+MasterKeyCheckSetting))
	if err != nil {
		t.Errorf("open key check: %v", err)
	}
	if string(plaintext) != "fieldlink" {
		t.Errorf("key check = %q, want %q", plaintext, "fieldlink")
	}
}

func TestResealToNewKey(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()
		oldKey, newKey := bytes.Repeat([]byte{1}, seal.KeySize), bytes.Repeat([]byte{2}, seal.KeySize)

		db, err := Open(ctx, database, newSealer(t, oldKey), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		f := fillSealed(t, db)

		// The marker scan proves itself on the old key first.
		if !bytes.Contains(dumpDatabase(t, db), keyIDMarker(t, oldKey)) {
			t.Fatal("no blob under the old key ID found before Reseal, so the scan proves nothing")
		}
		db.Close()

		db, err = Open(ctx, database, newSealer(t, newKey, oldKey), nil)
		if err != nil {
			t.Fatalf("Open with both keys: %v", err)
		}
		count, err := db.Reseal(ctx, newSealer(t, newKey))
		if err != nil {
			t.Fatalf("Reseal: %v", err)
		}
		// Two datasources and one hook have secrets, plus the key check.
		if count != 4 {
			t.Errorf("Reseal count = %d, want 4", count)
		}

		counts, err := db.CountSealedByKeyID(ctx)
		if err != nil {
			t.Fatalf("CountSealedByKeyID: %v", err)
		}
		if diff := cmp.Diff(map[string]int{seal.KeyID(newKey): 4}, counts); diff != "" {
			t.Errorf("CountSealedByKeyID (-want +got):\n%s", diff)
		}

		// No stored value is still under the old key.
		data := dumpDatabase(t, db)
		if bytes.Contains(data, keyIDMarker(t, oldKey)) {
			t.Error("a blob under the old key ID is still stored after Reseal")
		}
		if !bytes.Contains(data, keyIDMarker(t, newKey)) {
			t.Error("no blob under the new key ID stored after Reseal")
		}
		db.Close()

		newOnly, err := Open(ctx, database, newSealer(t, newKey), nil)
		if err != nil {
			t.Fatalf("Open with the new key only: %v", err)
		}
		defer newOnly.Close()
		checkOpens(t, newOnly, f)
	})
}

// TestResealLeavesNoOldBlobInFile is SQLite's alone: it reads the database
// file and its write-ahead log, which Reseal checkpoints. On PostgreSQL old
// row versions stay in the table files until VACUUM, as Reseal notes.
func TestResealLeavesNoOldBlobInFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fieldlink.db")
	ctx := context.Background()
	oldKey, newKey := bytes.Repeat([]byte{1}, seal.KeySize), bytes.Repeat([]byte{2}, seal.KeySize)

	db, err := Open(ctx, path, newSealer(t, oldKey), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	fillSealed(t, db)
	db.Close()

	// The marker scan proves itself on the old key first.
	if !bytes.Contains(readDataFiles(t, dir), keyIDMarker(t, oldKey)) {
		t.Fatal("no blob under the old key ID found before Reseal, so the scan proves nothing")
	}

	db, err = Open(ctx, path, newSealer(t, newKey, oldKey), nil)
	if err != nil {
		t.Fatalf("Open with both keys: %v", err)
	}
	if _, err := db.Reseal(ctx, newSealer(t, newKey)); err != nil {
		t.Fatalf("Reseal: %v", err)
	}

	// While the database is open, the files hold no blob under the old key.
	data := readDataFiles(t, dir)
	if bytes.Contains(data, keyIDMarker(t, oldKey)) {
		t.Error("a blob under the old key ID is still in the files after Reseal")
	}
	if !bytes.Contains(data, keyIDMarker(t, newKey)) {
		t.Error("no blob under the new key ID in the files after Reseal")
	}
	db.Close()

	if bytes.Contains(readDataFiles(t, dir), keyIDMarker(t, oldKey)) {
		t.Error("a blob under the old key ID is in the files after close")
	}
}

func TestResealFailureChangesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		oldID := db.sealer.KeyID()
		f := fillSealed(t, db)

		// A hook whose secret was sealed under a key the ring lacks.
		stranger := fieldlink.Hook{Name: "Stranger"}
		if err := db.CreateHook(ctx, &stranger); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
		otherKey := bytes.Repeat([]byte{9}, seal.KeySize)
		blob, err := newSealer(t, otherKey).Seal([]byte(`{"secret":"x"}`), associatedData("hook", stranger.ID))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if _, err := db.db.ExecContext(ctx, `UPDATE hooks SET secret_sealed = ? WHERE id = ?`, blob, stranger.ID); err != nil {
			t.Fatalf("store foreign blob: %v", err)
		}

		_, err = db.Reseal(ctx, newSealer(t, bytes.Repeat([]byte{2}, seal.KeySize)))
		if !errors.Is(err, seal.ErrWrongKey) {
			t.Fatalf("Reseal: err = %v, want seal.ErrWrongKey", err)
		}

		counts, err := db.CountSealedByKeyID(ctx)
		if err != nil {
			t.Fatalf("CountSealedByKeyID: %v", err)
		}
		want := map[string]int{oldID: 4, seal.KeyID(otherKey): 1}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("CountSealedByKeyID after a failed Reseal (-want +got):\n%s", diff)
		}
		checkOpens(t, db, f)
	})
}

func TestResealEmptyDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		count, err := db.Reseal(context.Background(), newSealer(t, bytes.Repeat([]byte{2}, seal.KeySize)))
		if err != nil {
			t.Fatalf("Reseal: %v", err)
		}
		if count != 0 {
			t.Errorf("count = %d, want 0", count)
		}
	})
}

// TestResealWaitsForOpenSecretChange changes a datasource's secret in
// another handle's transaction, starts Reseal before that commits, then
// commits: Reseal must seal the new secret, not write the old one back.
// On PostgreSQL the test commits only once Reseal waits for the row.
func TestResealWaitsForOpenSecretChange(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()
		oldKey, newKey := bytes.Repeat([]byte{1}, seal.KeySize), bytes.Repeat([]byte{2}, seal.KeySize)

		db, err := Open(ctx, database, newSealer(t, newKey, oldKey), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db.Close()
		other, err := Open(ctx, database, newSealer(t, oldKey), nil)
		if err != nil {
			t.Fatalf("Open the other handle: %v", err)
		}
		defer other.Close()

		ds := fieldlink.Datasource{Name: "CRM", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "old-token"}}
		if err := other.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}

		tx, err := other.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("begin the other transaction: %v", err)
		}
		defer tx.Rollback()
		blob, err := other.sealJSON("datasource", ds.ID, map[string]string{"token": "new-token"})
		if err != nil {
			t.Fatalf("sealJSON: %v", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE datasources SET auth_sealed = ? WHERE id = ?`, blob, ds.ID); err != nil {
			t.Fatalf("change the secret: %v", err)
		}

		done := make(chan error, 1)
		go func() {
			_, err := db.Reseal(ctx, newSealer(t, newKey))
			done <- err
		}()
		if db.Backend() == "postgres" {
			waitForLockWait(t, other)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit the other transaction: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Reseal: %v", err)
		}

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if got.Auth.Token != "new-token" {
			t.Errorf("token after Reseal = %q, want the committed change %q", got.Auth.Token, "new-token")
		}
		counts, err := db.CountSealedByKeyID(ctx)
		if err != nil {
			t.Fatalf("CountSealedByKeyID: %v", err)
		}
		if diff := cmp.Diff(map[string]int{seal.KeyID(newKey): 1}, counts); diff != "" {
			t.Errorf("CountSealedByKeyID (-want +got):\n%s", diff)
		}
	})
}
