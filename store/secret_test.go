package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestSecretsAbsentFromFile is SQLite's alone, because it reads the
// database's files; TestSecretsAbsentFromRawColumns covers both databases.
func TestSecretsAbsentFromFile(t *testing.T) {
	db, path := openTestDB(t, "sqlite")
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
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()

		db, err := Open(ctx, database, testSealer(t), nil)
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
		reopened, err := Open(ctx, database, testSealer(t), nil)
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
	})
}

func TestSealedBlobMovedFailsToOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
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
			`UPDATE datasources SET auth_sealed = (SELECT auth_sealed FROM datasources WHERE id = ?) WHERE id = ?`,
			`UPDATE hooks SET secret_sealed = (SELECT secret_sealed FROM hooks WHERE id = ?) WHERE id = ?`,
		}
		if _, err := db.db.ExecContext(ctx, moves[0], source.ID, target.ID); err != nil {
			t.Fatalf("move datasource blob: %v", err)
		}
		if _, err := db.db.ExecContext(ctx, moves[1], sourceHook.ID, targetHook.ID); err != nil {
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
	})
}

func TestSecretsOtherKeyFails(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()

		db, err := Open(ctx, database, testSealer(t), nil)
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
		reopened, err := Open(ctx, database, otherSealer, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer reopened.Close()

		_, err = reopened.FindDatasource(ctx, ds.ID)
		if !errors.Is(err, seal.ErrWrongKey) {
			t.Errorf("err = %v, want seal.ErrWrongKey", err)
		}
	})
}

// dumpDatabase returns every value of every table, as a dump would hold
// them: text as stored, BLOB and BYTEA values as their raw bytes, and other
// values in their text form. On PostgreSQL it adds every row in the text
// form that pg_dump writes, with BYTEA values in hex.
func dumpDatabase(t *testing.T, db *DB) []byte {
	t.Helper()
	ctx := context.Background()

	listTables := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.Backend() == "postgres" {
		listTables = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	tables, err := queryList(ctx, db.db, "list tables", func(row scanner) (string, error) {
		var name string
		err := row.Scan(&name)
		return name, err
	}, listTables)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables found, so the dump proves nothing")
	}

	var dump bytes.Buffer
	for _, table := range tables {
		rows, err := db.db.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		columns, err := rows.Columns()
		if err != nil {
			t.Fatalf("read columns of %s: %v", table, err)
		}
		for rows.Next() {
			values := make([]any, len(columns))
			dest := make([]any, len(columns))
			for i := range values {
				dest[i] = &values[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatalf("read row of %s: %v", table, err)
			}
			for _, v := range values {
				switch v := v.(type) {
				case []byte:
					dump.Write(v)
				case string:
					dump.WriteString(v)
				default:
					fmt.Fprint(&dump, v)
				}
				dump.WriteByte('\n')
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		rows.Close()

		if db.Backend() == "postgres" {
			text, err := queryList(ctx, db.db, "dump "+table, func(row scanner) (string, error) {
				var line string
				err := row.Scan(&line)
				return line, err
			}, `SELECT CAST(t AS text) FROM `+table+` AS t`)
			if err != nil {
				t.Fatal(err)
			}
			dump.WriteString(strings.Join(text, "\n"))
		}
	}
	return dump.Bytes()
}

// TestSecretsAbsentFromRawColumns stores every secret field of every auth
// mode, a hook secret and the sealed key check, and reads every column of
// every table as raw values: no secret may show in clear text, nor in hex.
func TestSecretsAbsentFromRawColumns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		datasources := []fieldlink.Datasource{
			{Name: "Basic", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{
				Mode: fieldlink.AuthBasic, Username: "VISIBLE-USERNAME-MARKER", Password: "SECRET-MARKER-password",
			}},
			{Name: "Bearer", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{
				Mode: fieldlink.AuthBearer, Token: "SECRET-MARKER-token",
			}},
			{Name: "API key", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{
				Mode: fieldlink.AuthAPIKey, APIKeyName: "X-Api-Key", APIKeyValue: "SECRET-MARKER-api-key", APIKeyIn: fieldlink.APIKeyInQuery,
			}},
			{Name: "Client secret", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{
				Mode: fieldlink.AuthOAuth2ClientCredentials, ClientID: "VISIBLE-CLIENT-ID-MARKER",
				ClientSecret: "SECRET-MARKER-client-secret", ClientAuthentication: fieldlink.ClientAuthHeader,
			}},
			{Name: "Private key", BaseURL: "https://127.0.0.1:1", Auth: fieldlink.Auth{
				Mode: fieldlink.AuthOAuth2ClientCredentials, ClientAuthentication: fieldlink.ClientAuthPrivateKeyJWT,
				ClientCertificate: testPEM("CERTIFICATE", "client-assertion"),
				ClientPrivateKey:  "SECRET-MARKER-client-private-key",
				TLSClientKey:      "SECRET-MARKER-tls-client-key",
			}},
		}
		for i := range datasources {
			if err := db.CreateDatasource(ctx, &datasources[i]); err != nil {
				t.Fatalf("CreateDatasource %q: %v", datasources[i].Name, err)
			}
		}

		// An update seals the secret again under the same row.
		datasources[1].Auth.Token = "SECRET-MARKER-token-updated"
		if err := db.UpdateDatasource(ctx, &datasources[1]); err != nil {
			t.Fatalf("UpdateDatasource: %v", err)
		}

		h := fieldlink.Hook{Name: "Intake", Secret: "SECRET-MARKER-hook"}
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
		check, err := db.sealer.Seal([]byte("SECRET-MARKER-key-check"), []byte("setting:"+MasterKeyCheckSetting))
		if err != nil {
			t.Fatalf("seal key check: %v", err)
		}
		if err := db.SetSetting(ctx, MasterKeyCheckSetting, base64.StdEncoding.EncodeToString(check)); err != nil {
			t.Fatalf("SetSetting: %v", err)
		}

		dump := dumpDatabase(t, db)

		// The plain markers prove the dump reads the stored rows.
		for _, visible := range []string{"VISIBLE-USERNAME-MARKER", "VISIBLE-CLIENT-ID-MARKER"} {
			if !bytes.Contains(dump, []byte(visible)) {
				t.Fatalf("%s is not in the dump, so the dump proves nothing", visible)
			}
		}
		for _, hidden := range [][]byte{[]byte("SECRET-MARKER"), []byte(hex.EncodeToString([]byte("SECRET-MARKER")))} {
			if bytes.Contains(dump, hidden) {
				t.Errorf("the dump contains %q: a secret is stored in clear text", hidden)
			}
		}

		// Every secret is sealed under the database's key: five datasources,
		// the hook and the key check.
		counts, err := db.CountSealedByKeyID(ctx)
		if err != nil {
			t.Fatalf("CountSealedByKeyID: %v", err)
		}
		if diff := cmp.Diff(map[string]int{db.sealer.KeyID(): 7}, counts); diff != "" {
			t.Errorf("CountSealedByKeyID (-want +got):\n%s", diff)
		}
	})
}
