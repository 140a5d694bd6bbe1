package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/internal/pgtest"
)

func appliedVersions(t *testing.T, db *DB) []int {
	t.Helper()

	rows, err := db.db.QueryContext(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()

	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("scan version: %v", err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return versions
}

func embeddedVersions(t *testing.T, backend string) []int {
	t.Helper()

	migrations, err := loadMigrations(migrationFS, "migrations/"+backend)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var versions []int
	for _, m := range migrations {
		versions = append(versions, m.version)
	}
	return versions
}

// tableExists reports whether the database has a table of that name.
func tableExists(t *testing.T, db *DB, name string) bool {
	t.Helper()

	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.Backend() == "postgres" {
		query = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	return countRows(t, db, query, name) > 0
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()

		db, err := Open(ctx, database, testSealer(t), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		want := embeddedVersions(t, db.Backend())
		ds := createTestDatasource(t, db, "Graph")
		if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
			t.Errorf("versions after first open (-want +got):\n%s", diff)
		}
		db.Close()

		for i := range 2 {
			db, err := Open(ctx, database, testSealer(t), nil)
			if err != nil {
				t.Fatalf("reopen %d: %v", i, err)
			}

			if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
				t.Errorf("reopen %d: versions (-want +got):\n%s", i, diff)
			}
			if _, err := db.FindDatasource(ctx, ds.ID); err != nil {
				t.Errorf("reopen %d: FindDatasource: %v", i, err)
			}
			db.Close()
		}
	})
}

func TestNewerSchemaRejected(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		ctx := context.Background()

		db, err := Open(ctx, database, testSealer(t), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		_, err = db.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', ?)`, formatTime(db.now()))
		if err != nil {
			t.Fatalf("insert future version: %v", err)
		}
		db.Close()

		_, err = Open(ctx, database, testSealer(t), nil)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("err = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "9999") {
			t.Errorf("error %q does not name the database's version", err)
		}

		// The rejected Open changed nothing, so it fails the same way again.
		_, err = Open(ctx, database, testSealer(t), nil)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("second Open: err = %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestMigrationFailureRollsBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		bad := migration{version: 100, name: "0100_bad", sql: `CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;`}
		err := db.applyMigrations(ctx, []migration{bad})
		if err == nil || !strings.Contains(err.Error(), "0100_bad") {
			t.Fatalf("err = %v, want an error naming 0100_bad", err)
		}

		if tableExists(t, db, "half_done") {
			t.Error("table half_done exists after its migration failed")
		}
		if got := appliedVersions(t, db); len(got) > 0 && got[len(got)-1] == 100 {
			t.Error("failed migration recorded in schema_migrations")
		}

		// The database still works after the failed migration.
		createTestDatasource(t, db, "Graph")
	})
}

func TestLoadMigrationsBadNames(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no version", fstest.MapFS{"migrations/schema.sql": {}}, "positive version number"},
		{"zero version", fstest.MapFS{"migrations/0000_x.sql": {}}, "positive version number"},
		{"duplicate", fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/1_b.sql": {}}, "same version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadMigrations(tt.files, "migrations")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadMigrationsOrder(t *testing.T) {
	files := fstest.MapFS{
		"migrations/0010_c.sql": {Data: []byte("c")},
		"migrations/0002_b.sql": {Data: []byte("b")},
		"migrations/0001_a.sql": {Data: []byte("a")},
	}

	got, err := loadMigrations(files, "migrations")
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}

	want := []migration{
		{version: 1, name: "0001_a", sql: "a"},
		{version: 2, name: "0002_b", sql: "b"},
		{version: 10, name: "0010_c", sql: "c"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(migration{})); diff != "" {
		t.Errorf("loadMigrations (-want +got):\n%s", diff)
	}
}

// TestPragmasOnEveryConnection opens a pool of two connections with the
// same DSN as Open, and checks the settings on both. It is SQLite's alone:
// PostgreSQL has no DSN pragmas.
func TestPragmasOnEveryConnection(t *testing.T) {
	_, path := openTestDB(t, "sqlite")
	ctx := context.Background()

	pool, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer pool.Close()

	conns := make([]*sql.Conn, 2)
	for i := range conns {
		if conns[i], err = pool.Conn(ctx); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		defer conns[i].Close()
	}

	want := map[string]string{
		"journal_mode":  "wal",
		"busy_timeout":  "10000",
		"foreign_keys":  "1",
		"synchronous":   "1",
		"secure_delete": "1",
	}
	for i, conn := range conns {
		got := map[string]string{}
		for pragma := range want {
			var value string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&value); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, pragma, err)
			}
			got[pragma] = value
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("connection %d pragmas (-want +got):\n%s", i, diff)
		}
	}
}

// TestMigrationUpgradesVersionOneDatasource is SQLite's alone, because the
// PostgreSQL schema started at what SQLite's version 6 holds.
func TestMigrationUpgradesVersionOneDatasource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fieldlink.db")
	ctx := context.Background()

	// Build a database at schema version 1 with one datasource, as the
	// first release wrote it.
	pool, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	d := sqliteDialect
	old := &DB{db: conn{pool: pool, d: d}, pool: pool, d: d, name: path, path: path, sealer: testSealer(t), logger: slog.New(slog.DiscardHandler), now: fixedClock()}
	migrations, err := loadMigrations(migrationFS, "migrations/sqlite")
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if err := old.applyMigrations(ctx, migrations[:1]); err != nil {
		t.Fatalf("apply migration 1: %v", err)
	}
	const insert = `INSERT INTO datasources (id, name, base_url, timeout_seconds, auth, created_at, updated_at)
		VALUES ('ds_old', 'Old', 'http://127.0.0.1:1', 20, '{"mode":"basic","username":"svc"}', ?1, ?1)`
	if _, err := pool.ExecContext(ctx, insert, formatTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))); err != nil {
		t.Fatalf("insert version 1 datasource: %v", err)
	}
	pool.Close()

	db, err := Open(ctx, path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	got, err := db.FindDatasource(ctx, "ds_old")
	if err != nil {
		t.Fatalf("FindDatasource: %v", err)
	}
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	want := fieldlink.Datasource{
		ID:             "ds_old",
		Name:           "Old",
		BaseURL:        "http://127.0.0.1:1",
		TimeoutSeconds: 20,
		Auth:           fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc"},
		CreatedAt:      created,
		UpdatedAt:      created,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindDatasource after upgrade (-want +got):\n%s", diff)
	}
}

// TestMigrationUpgradesVersionThreeItem is SQLite's alone, like
// TestMigrationUpgradesVersionOneDatasource.
func TestMigrationUpgradesVersionThreeItem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fieldlink.db")
	ctx := context.Background()

	// Build a database at schema version 3 with one item, as it was stored
	// before items had paging.
	pool, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	d := sqliteDialect
	old := &DB{db: conn{pool: pool, d: d}, pool: pool, d: d, name: path, path: path, sealer: testSealer(t), logger: slog.New(slog.DiscardHandler), now: fixedClock()}
	migrations, err := loadMigrations(migrationFS, "migrations/sqlite")
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if err := old.applyMigrations(ctx, migrations[:3]); err != nil {
		t.Fatalf("apply migrations 1 to 3: %v", err)
	}
	const insertDatasource = `INSERT INTO datasources (id, name, base_url, timeout_seconds, auth, created_at, updated_at)
		VALUES ('ds_old', 'Old', 'http://127.0.0.1:1', 20, '{"mode":"basic","username":"svc"}', ?1, ?1)`
	if _, err := pool.ExecContext(ctx, insertDatasource, formatTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))); err != nil {
		t.Fatalf("insert version 3 datasource: %v", err)
	}
	const insertItem = `INSERT INTO items (id, name, datasource_id, type, request, root, template, cache_seconds)
		VALUES ('it_old', 'Office', 'ds_old', 'read-only', '{"method":"GET","path":"/me"}', '$', '${row.office}', 60)`
	if _, err := pool.ExecContext(ctx, insertItem); err != nil {
		t.Fatalf("insert version 3 item: %v", err)
	}
	pool.Close()

	db, err := Open(ctx, path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	got, err := db.FindItem(ctx, "it_old")
	if err != nil {
		t.Fatalf("FindItem: %v", err)
	}
	want := fieldlink.Item{
		ID:           "it_old",
		Name:         "Office",
		DatasourceID: "ds_old",
		Type:         fieldlink.ItemReadOnly,
		Request:      fieldlink.ItemRequest{Method: "GET", Path: "/me"},
		Root:         "$",
		Template:     "${row.office}",
		CacheSeconds: 60,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindItem after upgrade (-want +got):\n%s", diff)
	}
}

// TestMigrationUpgradesPostgresVersionOne builds a PostgreSQL database at
// schema version 1, before the change notifications, and checks that Open
// adds the triggers and keeps the records.
func TestMigrationUpgradesPostgresVersionOne(t *testing.T) {
	t.Parallel()
	database := pgtest.NewDatabase(t)
	ctx := context.Background()

	pool, err := pgxpool.New(ctx, database)
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	d := postgresDialect
	old := &DB{db: conn{pool: sqlDB, d: d}, pool: sqlDB, pgx: pool, d: d, name: database, sealer: testSealer(t), logger: slog.New(slog.DiscardHandler), now: fixedClock()}
	migrations, err := loadMigrations(migrationFS, "migrations/postgres")
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if err := old.applyMigrations(ctx, migrations[:1]); err != nil {
		t.Fatalf("apply migration 1: %v", err)
	}
	ds := graphDatasource()
	if err := old.CreateDatasource(ctx, &ds); err != nil {
		t.Fatalf("CreateDatasource at version 1: %v", err)
	}
	old.Close()

	db, err := Open(ctx, database, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	if diff := cmp.Diff(embeddedVersions(t, "postgres"), appliedVersions(t, db)); diff != "" {
		t.Errorf("versions after upgrade (-want +got):\n%s", diff)
	}
	triggers := countRows(t, db, `SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE '%\_notify\_change'`)
	if triggers != len(changeKinds) {
		t.Errorf("change triggers = %d, want %d, one per table in changeKinds", triggers, len(changeKinds))
	}

	got, err := db.FindDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatalf("FindDatasource after upgrade: %v", err)
	}
	if diff := cmp.Diff(ds, got); diff != "" {
		t.Errorf("FindDatasource after upgrade (-want +got):\n%s", diff)
	}
}
