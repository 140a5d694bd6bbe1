package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestIsDiskFullOnSQLite runs on SQLite only: its max_page_count makes a
// write fail with SQLITE_FULL, as a full disk does, without filling one.
func TestIsDiskFullOnSQLite(t *testing.T) {
	db, _ := openTestDB(t, "sqlite")
	ctx := context.Background()

	// The pool has one connection, so the pragma applies to the next
	// write. The database may not grow past the pages it has.
	if _, err := db.SQL().ExecContext(ctx, `PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	err := db.SetSetting(ctx, "filler", strings.Repeat("x", 64<<10))
	if err == nil {
		t.Fatal("a 64 KiB write into a database that may not grow succeeded")
	}
	if !IsDiskFull(err) {
		t.Errorf("IsDiskFull(%v) = false, want true", err)
	}
}

func TestIsDiskFullOtherErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"PostgreSQL disk_full", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "53100"}), true},
		{"ENOSPC", fmt.Errorf("write WAL: %w", syscall.ENOSPC), true},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false},
		{"nil", nil, false},
		{"plain", errors.New("database or disk is full"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsDiskFull(tt.err); got != tt.want {
				t.Errorf("IsDiskFull(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
