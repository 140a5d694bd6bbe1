package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the prepared statements a stmtCache keeps. The
// package's statements are fixed texts, plus one per combination of event
// list filters, so the bound is reached only by a statement built from
// values, which then runs unprepared.
const maxCachedStmts = 256

// stmtCache keeps a prepared statement per query text. On SQLite preparing
// a statement (parsing and planning it) costs more than running one of
// fieldlink's indexed look-ups, and the single connection is held for both.
// A nil *stmtCache keeps nothing. It is safe for concurrent use.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCache() *stmtCache {
	return &stmtCache{stmts: make(map[string]*sql.Stmt)}
}

// lookup returns the statement prepared for query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// prepared returns the statement for query, preparing it on pool the first
// time. It returns nil when the query cannot be prepared or the cache is
// full, and the caller then runs the query unprepared, which reports the
// query's own error.
func (c *stmtCache) prepared(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if stmt := c.lookup(query); stmt != nil {
		return stmt
	}

	c.mu.RLock()
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil
	}

	stmt, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.stmts[query]; ok {
		// Another caller prepared it meanwhile.
		stmt.Close()
		return existing
	}
	c.stmts[query] = stmt
	return stmt
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for query, stmt := range c.stmts {
		stmt.Close()
		delete(c.stmts, query)
	}
}
