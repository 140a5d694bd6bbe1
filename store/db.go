package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fieldlink/fieldlink/seal"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

// BusyTimeout is how long a statement waits for another connection's or
// process's lock on the file before it fails with "database is locked".
const BusyTimeout = 10 * time.Second

// DB is fieldlink's database: an embedded SQLite file by default, or
// PostgreSQL. It implements fieldlink.DatasourceStore, ItemStore, RuleStore,
// HookStore and EventStore.
type DB struct {
	db     conn
	pool   *sql.DB
	d      *dialect
	sealer *seal.Sealer
	logger *slog.Logger

	// name says which database this is in messages: the SQLite file's path
	// or the PostgreSQL URL without its password.
	name string

	// path is the SQLite file, empty on PostgreSQL.
	path string

	// pgx is the PostgreSQL pool that pool wraps, nil on SQLite.
	pgx *pgxpool.Pool

	// now returns the current time. Tests replace it.
	now func() time.Time

	// config keeps configuration records on SQLite, and is nil on
	// PostgreSQL, where other replicas change them too.
	config *configCache
}

// Open opens the database named by database, applies fieldlink's
// migrations and River's, and returns it. A postgres:// or postgresql://
// URL, or a libpq keyword/value string, selects PostgreSQL. Another URL
// scheme is rejected. Anything else is the path of an SQLite file, created
// when missing. It rejects a database whose schema is newer than
// this binary's with an error matching ErrSchemaTooNew. sealer seals and
// opens the secret fields. logger may be nil, which discards logs.
func Open(ctx context.Context, database string, sealer *seal.Sealer, logger *slog.Logger) (*DB, error) {
	if sealer == nil {
		return nil, fmt.Errorf("open database %s: sealer is nil", RedactDatabase(database))
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	if err := CheckDatabaseName(database); err != nil {
		return nil, err
	}
	if IsPostgresURL(database) {
		return openPostgres(ctx, database, sealer, logger)
	}
	return openSQLite(ctx, database, sealer, logger)
}

// openSQLite opens or creates the SQLite file at path.
func openSQLite(ctx context.Context, path string, sealer *seal.Sealer, logger *slog.Logger) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: path is empty: give the path of the SQLite file or a postgres:// URL")
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("open database %q: the path contains \"?\", which the SQLite driver reads as the start of parameters: choose a path without it", path)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return nil, fmt.Errorf("open database %s: it is a folder: give the path of an SQLite file, such as %s, or a postgres:// URL", path, filepath.Join(path, "fieldlink.db"))
	}

	// SQLite reports a missing folder only as "unable to open database
	// file", so check it first to say what is wrong.
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open database %s: folder %s does not exist: create it first", path, dir)
		}
	}

	pool, err := openSQLitePool(dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	// One connection serializes every write and transaction of fieldlink
	// and River in this process. SQLite allows one writer at a time
	// anyway, and River's riversqlite driver recommends SetMaxOpenConns(1)
	// to avoid SQLITE_BUSY errors between its own concurrent operations. A
	// consequence: code holding a transaction must run every statement on
	// that transaction, or it waits forever for the only connection. The
	// package's SELECT statements outside transactions run on the reading
	// connections opened below.
	pool.SetMaxOpenConns(1)
	pool.SetConnMaxIdleTime(0)
	pool.SetConnMaxLifetime(0)

	d := sqliteDialect
	db := &DB{db: conn{pool: pool, d: d}, pool: pool, d: d, name: path, path: path, sealer: sealer, logger: logger, now: time.Now}

	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	if err := db.migrateRiverSQLite(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	// Reads go to connections of their own only now, after the
	// migrations, which read and write on the one connection.
	readers, err := openSQLitePool(readerDSN(path))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	readers.SetMaxOpenConns(maxReaders())
	readers.SetMaxIdleConns(maxReaders())
	readers.SetConnMaxIdleTime(0)
	readers.SetConnMaxLifetime(0)
	db.db.readers = readers
	db.config = newConfigCache()
	db.db.config = db.config

	logger.Debug("database opened", slog.String("path", path))
	return db, nil
}

// dsn returns the data source name for path. The pragmas are URL parameters
// so that the driver applies them to every connection the pool opens, not
// only the first: WAL lets readers run beside the writer, busy_timeout waits
// for locks held by other processes, foreign_keys enforces REFERENCES, and
// synchronous=NORMAL is durable in WAL mode except for the last commits
// before a power loss. secure_delete overwrites deleted content with zeros,
// so an updated or deleted sealed secret leaves no copy in the file's free
// space (Reseal relies on it). _txlock=immediate takes the write lock at BEGIN, so a
// transaction waits for it there, within busy_timeout, instead of failing
// with SQLITE_BUSY at its first write.
func dsn(path string) string {
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Add("_pragma", "secure_delete(1)")
	params.Set("_txlock", "immediate")

	// A plain path, not a file: URI, so the driver passes it to SQLite
	// unchanged and takes the parameters from after the first "?".
	return path + "?" + params.Encode()
}

// readerDSN returns the data source name of the connections that run
// SELECT statements outside transactions: dsn's, with query_only, so that a
// write sent to them by mistake fails instead of competing with the
// writing connection for SQLite's lock.
func readerDSN(path string) string {
	return dsn(path) + "&" + url.Values{"_pragma": {"query_only(1)"}}.Encode()
}

// maxReaders is the number of reading connections: one per processor the Go
// scheduler uses, and at least 4, since a reader also waits for the disk.
func maxReaders() int {
	return max(4, runtime.GOMAXPROCS(0))
}

// Close closes the database. River clients using it must be stopped first.
func (db *DB) Close() error {
	if db.db.readers != nil {
		db.db.readers.Close()
	}
	err := db.pool.Close()
	if db.pgx != nil {
		db.pgx.Close()
	}
	if err != nil {
		return fmt.Errorf("close database %s: %w", db.name, err)
	}
	return nil
}

// Backend returns "sqlite" or "postgres".
func (db *DB) Backend() string {
	return db.d.name
}

// Name returns the SQLite file's path or the PostgreSQL URL without its
// password, for messages.
func (db *DB) Name() string {
	return db.name
}

// SQL returns the connection pool, for River's riversqlite driver and for
// the transactions passed to InsertEventTx through SQLTx. On SQLite the
// pool has one connection, so a caller holding a transaction must run every
// statement on it. Statements run on it directly are not rebound: on
// PostgreSQL they need $1-style placeholders.
func (db *DB) SQL() *sql.DB {
	return db.pool
}

// Pgx returns the PostgreSQL pool for River's riverpgxv5 driver, or nil on
// SQLite.
func (db *DB) Pgx() *pgxpool.Pool {
	return db.pgx
}
