package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/fieldlink/fieldlink/seal"
)

// migrationLockID is the PostgreSQL advisory lock that replicas starting
// together take around their migrations, so that one applies them and the
// others wait and find nothing left to do. The number is arbitrary and
// fixed.
const migrationLockID int64 = 0x6669656c646c6e6b // "fieldlnk"

// openPostgres connects to the PostgreSQL server at rawURL and applies the
// migrations under an advisory lock.
func openPostgres(ctx context.Context, rawURL string, sealer *seal.Sealer, logger *slog.Logger) (*DB, error) {
	pool, name, err := connectPostgres(ctx, rawURL)
	if err != nil {
		return nil, err
	}

	sqlDB := stdlib.OpenDBFromPool(pool)
	d := postgresDialect
	db := &DB{db: conn{pool: sqlDB, d: d}, pool: sqlDB, pgx: pool, d: d, name: name, sealer: sealer, logger: logger, now: time.Now}

	if err := db.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}

	logger.Debug("database opened", slog.String("database", name))
	return db, nil
}

// migratePostgres applies fieldlink's and River's migrations while holding
// an advisory lock, so replicas that start at once do not race.
func (db *DB) migratePostgres(ctx context.Context) error {
	lockConn, err := db.pgx.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("take a connection for the migration lock: %w", err)
	}
	defer lockConn.Release()

	if _, err := lockConn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		// A fresh context, so the lock is given back even when ctx ended.
		unlockCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := lockConn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, migrationLockID); err != nil {
			db.logger.Warn("could not release the migration lock; it ends with the connection", slog.Any("error", err))
		}
	}()

	if err := db.migrate(ctx); err != nil {
		return err
	}

	migrator, err := rivermigrate.New(riverpgxv5.New(db.pgx), &rivermigrate.Config{Logger: db.logger})
	if err != nil {
		return fmt.Errorf("create River migrator: %w", err)
	}
	return db.runRiverMigrator(ctx, migrator)
}

// PgxTx adapts a pgx transaction begun on the pool that Pgx returns, for
// InsertEventTx and ReplayEventTx.
func PgxTx(tx pgx.Tx) Tx { return pgxTx{tx} }

type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgxTx) QueryRow(ctx context.Context, query string, args ...any) Row {
	return pgxRow{t.tx.QueryRow(ctx, query, args...)}
}

// pgxRow reports an empty result as sql.ErrNoRows, as *sql.Row does.
type pgxRow struct{ row pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}
