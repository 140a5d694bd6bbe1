package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// SchemaStatus is the schema version of a database beside the newest
// versions that this binary contains, for fieldlink's tables and River's.
type SchemaStatus struct {
	// Backend is "sqlite" or "postgres".
	Backend string

	// Name is the SQLite file's path or the PostgreSQL URL without its
	// password.
	Name string

	// Missing reports whether the SQLite file does not exist yet.
	Missing bool

	// Version is the newest fieldlink migration applied, 0 for none, and
	// LatestVersion the newest this binary has.
	Version, LatestVersion int

	// RiverVersion is the newest River migration applied, 0 for none, and
	// LatestRiverVersion the newest this binary's River has.
	RiverVersion, LatestRiverVersion int
}

// TooNew reports whether a newer fieldlink migrated the database, so this
// binary must not use it.
func (s SchemaStatus) TooNew() bool {
	return s.Version > s.LatestVersion
}

// UpToDate reports whether every migration this binary has is applied.
func (s SchemaStatus) UpToDate() bool {
	return s.Version == s.LatestVersion && s.RiverVersion >= s.LatestRiverVersion
}

// ReadSchemaStatus reads the schema versions of database, named as Open
// names it, without applying a migration and without creating a missing
// SQLite file.
func ReadSchemaStatus(ctx context.Context, database string) (SchemaStatus, error) {
	if err := CheckDatabaseName(database); err != nil {
		return SchemaStatus{}, err
	}
	if IsPostgresURL(database) {
		return readPostgresStatus(ctx, database)
	}
	return readSQLiteStatus(ctx, database)
}

func readSQLiteStatus(ctx context.Context, path string) (SchemaStatus, error) {
	status := SchemaStatus{Backend: sqliteDialect.name, Name: path}
	if path == "" {
		return status, errors.New("read schema version: path is empty: give the path of the SQLite file or a postgres:// URL")
	}
	if strings.Contains(path, "?") {
		return status, fmt.Errorf("read schema version of %q: the path contains \"?\", which the SQLite driver reads as the start of parameters: choose a path without it", path)
	}

	var err error
	if status.LatestVersion, err = latestVersion(sqliteDialect); err != nil {
		return status, err
	}

	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		status.Missing = true
		migrator, err := rivermigrate.New(riversqlite.New(nil), riverMigratorConfig())
		if err != nil {
			return status, fmt.Errorf("create River migrator: %w", err)
		}
		status.LatestRiverVersion = lastRiverVersion(migrator.AllVersions())
		return status, nil
	} else if err != nil {
		return status, fmt.Errorf("read schema version of %s: %w", path, err)
	}

	// Only the busy timeout: the status reads and never changes the file,
	// so it sets no journal mode.
	pool, err := sql.Open("sqlite", fmt.Sprintf("%s?_pragma=busy_timeout(%d)", path, BusyTimeout.Milliseconds()))
	if err != nil {
		return status, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1)

	const exists = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if status.Version, err = readVersion(ctx, pool, exists); err != nil {
		return status, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	migrator, err := rivermigrate.New(riversqlite.New(pool), riverMigratorConfig())
	if err != nil {
		return status, fmt.Errorf("create River migrator: %w", err)
	}
	if status.RiverVersion, status.LatestRiverVersion, err = readRiverVersions(ctx, migrator); err != nil {
		return status, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	return status, nil
}

func readPostgresStatus(ctx context.Context, rawURL string) (SchemaStatus, error) {
	status := SchemaStatus{Backend: postgresDialect.name, Name: RedactDatabase(rawURL)}

	var err error
	if status.LatestVersion, err = latestVersion(postgresDialect); err != nil {
		return status, err
	}

	pool, name, err := connectPostgres(ctx, rawURL)
	if err != nil {
		return status, err
	}
	defer pool.Close()

	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()

	const exists = `SELECT COUNT(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('schema_migrations')`
	if status.Version, err = readVersion(ctx, sqlDB, exists); err != nil {
		return status, fmt.Errorf("read schema version of %s: %s", name, redactError(err, rawURL))
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), riverMigratorConfig())
	if err != nil {
		return status, fmt.Errorf("create River migrator: %w", err)
	}
	if status.RiverVersion, status.LatestRiverVersion, err = readRiverVersions(ctx, migrator); err != nil {
		return status, fmt.Errorf("read schema version of %s: %s", name, redactError(err, rawURL))
	}
	return status, nil
}

// readVersion returns the newest applied migration, or 0 when exists, a
// query that counts the schema_migrations tables, counts none.
func readVersion(ctx context.Context, pool *sql.DB, exists string) (int, error) {
	var tables int
	if err := pool.QueryRowContext(ctx, exists).Scan(&tables); err != nil {
		return 0, fmt.Errorf("look for the schema_migrations table: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	return schemaVersion(ctx, pool)
}

// latestVersion returns the newest migration embedded for the dialect.
func latestVersion(d *dialect) (int, error) {
	migrations, err := loadMigrations(migrationFS, "migrations/"+d.name)
	if err != nil {
		return 0, err
	}
	if len(migrations) == 0 {
		return 0, nil
	}
	return migrations[len(migrations)-1].version, nil
}

// riverVersionReader is the part of a rivermigrate.Migrator of any driver
// that lists migrations.
type riverVersionReader interface {
	ExistingVersions(ctx context.Context) ([]rivermigrate.Migration, error)
	AllVersions() []rivermigrate.Migration
}

// riverMigratorConfig discards River's logs: reading versions is no event.
func riverMigratorConfig() *rivermigrate.Config {
	return &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)}
}

// readRiverVersions returns the newest River migration applied, 0 for
// none, and the newest that River has.
func readRiverVersions(ctx context.Context, migrator riverVersionReader) (current, latest int, _ error) {
	latest = lastRiverVersion(migrator.AllVersions())

	existing, err := migrator.ExistingVersions(ctx)
	if err != nil {
		return 0, latest, fmt.Errorf("read River's schema version: %w", err)
	}
	return lastRiverVersion(existing), latest, nil
}

func lastRiverVersion(migrations []rivermigrate.Migration) int {
	if len(migrations) == 0 {
		return 0
	}
	return migrations[len(migrations)-1].Version
}
