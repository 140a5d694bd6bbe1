package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements one SQLite connection
// keeps. fieldlink's and River's statements are fixed texts, plus one per
// combination of event list filters, so the bound is reached only by
// statements built from values, which then run unprepared.
const maxCachedStmts = 256

// openSQLitePool opens a pool whose connections each keep a prepared
// statement per query text. Preparing a statement (parsing and planning it)
// costs SQLite more than running one of the indexed statements of fieldlink
// and River, and on the single writing connection every statement holds up
// the others. The statements of both fieldlink and River's SQLite driver,
// which prepares each anew through database/sql, are kept.
func openSQLitePool(dsn string) (*sql.DB, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(stmtCachingConnector{base: base}), nil
}

// stmtCachingConnector opens connections with the base connector and wraps
// each in a stmtCachingConn.
type stmtCachingConnector struct {
	base driver.Connector
}

func (c stmtCachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtCachingConn(conn)
}

func (c stmtCachingConnector) Driver() driver.Driver { return c.base.Driver() }

// sqliteConn is the set of driver interfaces that modernc.org/sqlite's
// connection implements and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is a prepared statement and whether rows read from it are
// still open, which a second use must not disturb.
type cachedStmt struct {
	stmt driver.Stmt
	busy bool
}

// stmtCachingConn runs ExecContext and QueryContext with a statement
// prepared once per query text. A statement whose rows are still open, as
// when a transaction runs a query again while reading the first result,
// is not used twice: the second query runs unprepared.
type stmtCachingConn struct {
	sqliteConn

	// mu guards stmts. database/sql already makes the calls on one
	// connection take turns, so it is not contended.
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

func newStmtCachingConn(conn driver.Conn) (driver.Conn, error) {
	c, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("open SQLite connection: the driver's connection type %s lacks an interface that the statement cache needs: build fieldlink with the modernc.org/sqlite version its go.mod names", reflect.TypeOf(conn))
	}
	return &stmtCachingConn{sqliteConn: c, stmts: make(map[string]*cachedStmt)}, nil
}

// take returns the statement prepared for query, marked busy, preparing it
// the first time. It returns nil when the statement is busy, cannot be
// prepared, or the cache is full. The caller then runs the query
// unprepared, which reports the query's own error.
func (c *stmtCachingConn) take(ctx context.Context, query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()

	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil
		}
		s.busy = true
		return s
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}

	stmt, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s := &cachedStmt{stmt: stmt, busy: true}
	c.stmts[query] = s
	return s
}

func (c *stmtCachingConn) release(s *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.busy = false
}

func (c *stmtCachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	defer c.release(s)
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *stmtCachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.release(s)
		return nil, err
	}
	return &releasingRows{Rows: rows, release: func() { c.release(s) }}, nil
}

// Close closes the kept statements, then the connection.
func (c *stmtCachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for query, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, query)
	}
	c.mu.Unlock()
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// releasingRows marks its statement free for the next use once closed. It
// passes on the column type methods that database/sql's ColumnTypes uses.
type releasingRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *releasingRows) ColumnTypeScanType(index int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}

func (r *releasingRows) ColumnTypeDatabaseTypeName(index int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

func (r *releasingRows) ColumnTypeLength(index int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(index)
	}
	return 0, false
}

func (r *releasingRows) ColumnTypeNullable(index int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(index)
	}
	return false, false
}

func (r *releasingRows) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}
