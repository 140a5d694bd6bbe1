package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

func TestIsSelect(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{"SELECT id FROM items", true},
		{"\n\t\tselect count(*) from events", true},
		{"DELETE FROM api_tokens WHERE id = ? RETURNING id", false},
		{"UPDATE items SET name = ? RETURNING lookup_token_hash", false},
		{"WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone", false},
		{"SELEC", false},
		{"", false},
	}

	for _, tt := range tests {
		if got := isSelect(tt.query); got != tt.want {
			t.Errorf("isSelect(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

// TestSQLiteReadersRejectWrites checks that the connections SELECT
// statements go to cannot write, so that a write sent there by mistake
// fails at once. PostgreSQL has no such connections: its pool serves every
// statement.
func TestSQLiteReadersRejectWrites(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t, "sqlite")

	_, err := db.db.readers.ExecContext(context.Background(), `UPDATE settings SET value = 'x' WHERE key = 'none'`)
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write on a reading connection: err = %v, want a read-only error", err)
	}
}

// TestReadsSeeCommittedWrites checks that a read, which on SQLite runs on
// another connection than the write, sees a write committed just before.
func TestReadsSeeCommittedWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for i := range 50 {
			key := fmt.Sprintf("read-after-write-%d", i)
			if err := db.SetSetting(ctx, key, "v"); err != nil {
				t.Fatalf("SetSetting: %v", err)
			}
			got, ok, err := db.GetSetting(ctx, key)
			if err != nil || !ok || got != "v" {
				t.Fatalf("GetSetting(%q) right after SetSetting = %q, %v, %v; want \"v\"", key, got, ok, err)
			}
		}
	})
}

// TestStmtCacheBound checks that statements beyond maxCachedStmts run
// unprepared, with the same results, and are not kept.
func TestStmtCacheBound(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t, "sqlite")
	ctx := context.Background()

	conn, err := db.pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	for i := range maxCachedStmts + 10 {
		var got int
		query := fmt.Sprintf("SELECT %d", i)
		if err := conn.QueryRowContext(ctx, query).Scan(&got); err != nil || got != i {
			t.Fatalf("%s = %d, %v", query, got, err)
		}
	}

	kept := cachedStmtCount(t, conn)
	if kept != maxCachedStmts {
		t.Errorf("%d statements kept, want %d", kept, maxCachedStmts)
	}
}

// TestStmtCacheNestedQuery checks that a statement whose rows are still
// open runs again correctly on the same connection, as a transaction may
// do, and that both results are complete.
func TestStmtCacheNestedQuery(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t, "sqlite")
	ctx := context.Background()
	for _, key := range []string{"nested-a", "nested-b", "nested-c"} {
		if err := db.SetSetting(ctx, key, "v-"+key); err != nil {
			t.Fatal(err)
		}
	}

	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	const query = `SELECT key FROM settings WHERE key LIKE 'nested-%' ORDER BY key`
	outer, err := tx.QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()

	var outerKeys []string
	for outer.Next() {
		var key string
		if err := outer.Scan(&key); err != nil {
			t.Fatal(err)
		}
		outerKeys = append(outerKeys, key)
		if len(outerKeys) > 3 {
			t.Fatalf("outer query returned more rows than the 3 stored: %v; the inner query disturbed it", outerKeys)
		}

		inner, err := tx.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("inner query while the outer one is open returned %d rows, want 3", n)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(outerKeys, ","); got != "nested-a,nested-b,nested-c" {
		t.Errorf("outer query returned %s, want nested-a,nested-b,nested-c", got)
	}
}

// TestStmtCacheReusesStatements checks that a statement run twice on a
// connection is prepared once and its second run returns fresh results.
func TestStmtCacheReusesStatements(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t, "sqlite")
	ctx := context.Background()

	conn, err := db.pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	before := cachedStmtCount(t, conn)
	for i := range 3 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprintf("reuse-%d", i), "v"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key LIKE 'reuse-%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i+1 {
			t.Errorf("count after insert %d = %d, want %d", i+1, n, i+1)
		}
	}
	if added := cachedStmtCount(t, conn) - before; added != 2 {
		t.Errorf("%d statements kept for two query texts run three times each, want 2", added)
	}
}

// cachedStmtCount returns how many prepared statements the connection
// keeps.
func cachedStmtCount(t *testing.T, conn *sql.Conn) int {
	t.Helper()
	n := -1
	err := conn.Raw(func(driverConn any) error {
		c := driverConn.(*stmtCachingConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		n = len(c.stmts)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
