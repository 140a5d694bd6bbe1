package store

import (
	"context"
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

	for i := range maxCachedStmts + 10 {
		var got int
		query := fmt.Sprintf("SELECT %d", i)
		if err := db.db.QueryRowContext(ctx, query).Scan(&got); err != nil || got != i {
			t.Fatalf("%s = %d, %v", query, got, err)
		}
	}

	db.db.readerStmts.mu.RLock()
	kept := len(db.db.readerStmts.stmts)
	db.db.readerStmts.mu.RUnlock()
	if kept > maxCachedStmts {
		t.Errorf("%d statements kept, want at most %d", kept, maxCachedStmts)
	}
}
