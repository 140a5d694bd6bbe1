package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect holds what differs between SQLite and PostgreSQL. The statements
// are written once, with ? placeholders, and rebound for the database.
type dialect struct {
	// name is "sqlite" or "postgres".
	name string

	// numberedParams makes rebind turn each ? into $1, $2 … in order.
	numberedParams bool

	// binaryCollation makes a comparison or an ORDER BY term byte for
	// byte, whatever the column's or the database's collation.
	binaryCollation string

	// nameOrder is the ORDER BY term for a column called name whose
	// uniqueness ignores case. Both databases then list names in the same
	// order: byte order after folding the ASCII letters A to Z, and no
	// other letter, to lower case.
	nameOrder string

	// lockRows ends a SELECT in a transaction that goes on to change the
	// rows it read, so that concurrent writers of those rows wait for it.
	// SQLite needs none: its transactions take the write lock at BEGIN.
	lockRows string
}

// sqliteDialect is SQLite's: ? placeholders, and names compared and sorted
// by the NOCASE collation, which folds ASCII letters only.
var sqliteDialect = &dialect{name: "sqlite", binaryCollation: "COLLATE BINARY", nameOrder: "name COLLATE NOCASE"}

// postgresDialect is PostgreSQL's: $n placeholders, and names sorted by
// their lower case under the "C" collation, which folds ASCII letters only
// and compares bytes, whatever the database's locale. The unique indexes
// on names use the same expression (migration 0003).
var postgresDialect = &dialect{name: "postgres", numberedParams: true, binaryCollation: `COLLATE "C"`, nameOrder: `lower(name COLLATE "C")`, lockRows: "FOR UPDATE"}

// rebind returns query with the dialect's placeholders. The statements of
// this package hold no ? inside string literals, so every ? is a parameter.
func (d *dialect) rebind(query string) string {
	if !d.numberedParams || !strings.Contains(query, "?") {
		return query
	}

	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// conn runs the package's statements on a pool, rebound for its dialect.
// It has the method set of *sql.DB that the stores use.
type conn struct {
	pool *sql.DB
	d    *dialect

	// readers, when set, runs the SELECT statements, so that on SQLite
	// reads run beside each other and beside the pool's single writing
	// connection, which WAL mode allows. A read there returns every
	// transaction committed before it starts.
	readers *sql.DB

	// config is dropped after every statement that writes a
	// configuration table, or is nil on PostgreSQL.
	config *configCache
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.rebind(query)
	if c.config != nil && writesConfig(query) {
		defer c.config.changed()
	}
	return c.pool.ExecContext(ctx, query, args...)
}

// QueryContext runs a query. A write that returns rows, such as
// UPDATE … RETURNING, commits only when its rows are closed, so a method
// that sends one to a configuration table also calls configChanged itself
// once it has read them.
func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.rebind(query)
	if c.readers != nil && isSelect(query) {
		return c.readers.QueryContext(ctx, query, args...)
	}
	return c.pool.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row. As with
// QueryContext, a write to a configuration table needs a configChanged call
// from its method after Scan.
func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.rebind(query)
	if c.readers != nil && isSelect(query) {
		return c.readers.QueryRowContext(ctx, query, args...)
	}
	return c.pool.QueryRowContext(ctx, query, args...)
}

// isSelect reports whether query is a SELECT statement, which only reads.
// Other statements that return rows, such as DELETE … RETURNING, write.
func isSelect(query string) bool {
	query = strings.TrimLeft(query, " \t\r\n")
	return len(query) >= len("SELECT") && strings.EqualFold(query[:len("SELECT")], "SELECT")
}

// BeginTx starts a transaction whose statements are rebound too.
func (c conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := c.pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{tx: tx, d: c.d, config: c.config}, nil
}

// txn is a transaction whose statements are rebound for the dialect.
type txn struct {
	tx *sql.Tx
	d  *dialect

	// config is dropped when a transaction that wrote a configuration
	// table commits, or is nil on PostgreSQL.
	config      *configCache
	wroteConfig bool
}

// noteWrite remembers whether query writes a configuration table.
func (t *txn) noteWrite(query string) {
	if t.config != nil && !t.wroteConfig && !isSelect(query) && writesConfig(query) {
		t.wroteConfig = true
	}
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = t.d.rebind(query)
	t.noteWrite(query)
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = t.d.rebind(query)
	t.noteWrite(query)
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query = t.d.rebind(query)
	t.noteWrite(query)
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Commit commits the transaction and then drops the kept configuration
// records when it wrote a configuration table.
func (t *txn) Commit() error {
	err := t.tx.Commit()
	if t.wroteConfig {
		t.config.changed()
	}
	return err
}

func (t *txn) Rollback() error { return t.tx.Rollback() }

// Tx runs the statements of a transaction that the caller began, such as
// the intake transaction that also inserts the River job. SQLTx adapts a
// *sql.Tx and PgxTx a pgx.Tx.
type Tx interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a query expected to return at most one row. Scanning
	// an empty result fails with sql.ErrNoRows.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is one result row, as *sql.Row and pgx.Row are.
type Row interface {
	Scan(dest ...any) error
}

// SQLTx adapts a transaction begun on the pool that SQL returns.
func SQLTx(tx *sql.Tx) Tx { return sqlTx{tx} }

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	result, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return result.RowsAffected()
}

func (t sqlTx) QueryRow(ctx context.Context, query string, args ...any) Row {
	return t.tx.QueryRowContext(ctx, query, args...)
}
