package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationFS holds one folder of numbered migrations per database:
// migrations/sqlite and migrations/postgres. Their version numbers are
// counted apart.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by Open for a database written by a newer
// fieldlink, whose schema this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this fieldlink binary")

// migration is one numbered SQL file from the migrations folder.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order. A file
// is named NNNN_description.sql, and versions must be unique.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	paths, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}

	var migrations []migration
	seen := map[int]string{}
	for _, p := range paths {
		name := strings.TrimSuffix(path.Base(p), ".sql")
		number, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(number)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration file %s: name must start with a positive version number, as in 0001_schema.sql", p)
		}
		if other, ok := seen[version]; ok {
			return nil, fmt.Errorf("migration files %s and %s have the same version %d", other, p, version)
		}
		seen[version] = p

		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", p, err)
		}
		migrations = append(migrations, migration{version: version, name: name, sql: string(body)})
	}

	sort.Slice(migrations, func(i, j int) bool { return migrations[i].version < migrations[j].version })
	return migrations, nil
}

// migrate applies the embedded migrations that the database lacks, each in
// its own transaction that also records it in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	migrations, err := loadMigrations(migrationFS, "migrations/"+db.d.name)
	if err != nil {
		return err
	}
	return db.applyMigrations(ctx, migrations)
}

func (db *DB) applyMigrations(ctx context.Context, migrations []migration) error {
	createTable := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`
	if db.d.name == "sqlite" {
		createTable += ` STRICT`
	}
	if _, err := db.db.ExecContext(ctx, createTable); err != nil {
		return fmt.Errorf("create schema_migrations table: %w", err)
	}

	latest := 0
	if len(migrations) > 0 {
		latest = migrations[len(migrations)-1].version
	}

	current, err := schemaVersion(ctx, db.db)
	if err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("%w: the database is at schema version %d and this binary knows versions up to %d: run a fieldlink release at least as new as the one that last opened it, or restore a backup", ErrSchemaTooNew, current, latest)
	}

	for _, m := range migrations {
		if m.version <= current {
			continue
		}

		applied, err := db.applyMigration(ctx, m)
		if err != nil {
			return err
		}
		if applied {
			db.logger.Info("database migration applied", slog.Int("version", m.version), slog.String("name", m.name))
		}
	}
	return nil
}

// applyMigration runs one migration in a transaction. It reports false when
// another process applied the migration first.
func (db *DB) applyMigration(ctx context.Context, m migration) (applied bool, err error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.name, err)
	}
	defer tx.Rollback()

	// On SQLite the transaction holds the write lock from BEGIN (see
	// _txlock in dsn), so another process migrating the same file waits
	// until this commits. On PostgreSQL, openPostgres holds an advisory
	// lock around all migrations.
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if m.version <= current {
		return false, nil
	}

	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.name, err)
	}

	const record = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	if _, err := tx.ExecContext(ctx, record, m.version, m.name, formatTime(db.now())); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.name, err)
	}

	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.name, err)
	}
	return true, nil
}

// queryer is the part of *sql.DB and *sql.Tx that reads rows.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var version int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
}

// migrateRiverSQLite applies River's own migrations so that the job queue
// is ready on the same file.
//
// They run in one transaction, which takes the write lock at BEGIN (see
// _txlock in dsn). Outside one, two processes opening a new file at once
// can both find River's tables missing, and the later one fails with
// "table river_migration already exists". River deprecates MigrateTx
// because some PostgreSQL migrations cannot share a transaction, but SQLite
// runs every DDL statement in a transaction.
func (db *DB) migrateRiverSQLite(ctx context.Context) error {
	migrator, err := rivermigrate.New(riversqlite.New(db.pool), &rivermigrate.Config{Logger: db.logger})
	if err != nil {
		return fmt.Errorf("create River migrator: %w", err)
	}

	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply River migrations: %w", err)
	}
	defer tx.Rollback()

	result, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil) //nolint:staticcheck // See the comment above.
	if err != nil {
		return fmt.Errorf("apply River migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit River migrations: %w", err)
	}

	db.logRiverMigrations(result)
	return nil
}

// riverMigrator is the part of a rivermigrate.Migrator of any driver that
// applies migrations.
type riverMigrator interface {
	Migrate(ctx context.Context, direction rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (*rivermigrate.MigrateResult, error)
}

func (db *DB) runRiverMigrator(ctx context.Context, migrator riverMigrator) error {
	result, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply River migrations: %w", err)
	}

	db.logRiverMigrations(result)
	return nil
}

func (db *DB) logRiverMigrations(result *rivermigrate.MigrateResult) {
	for _, v := range result.Versions {
		db.logger.Info("River migration applied", slog.Int("version", v.Version), slog.String("name", v.Name))
	}
}
