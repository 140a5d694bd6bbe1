package store

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
)

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()

	s, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	return s
}

// openTestDB opens a new database file in a temporary folder and closes it
// when the test ends.
func openTestDB(t *testing.T) (*DB, string) {
	t.Helper()

	path := filepath.Join(t.TempDir(), "fieldlink.db")
	db, err := Open(context.Background(), path, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// fixedClock returns a clock that starts at a fixed time and advances one
// second per call, so stored times are predictable and distinct.
func fixedClock() func() time.Time {
	now := time.Date(2025, 3, 4, 9, 30, 0, 123456789, time.UTC)
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}

// wantError fails the test unless err is a *fieldlink.Error with the code
// and a message containing every fragment.
func wantError(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()

	if err == nil {
		t.Fatalf("err = nil, want code %q", code)
	}
	if got := fieldlink.ErrorCode(err); got != code {
		t.Errorf("error code = %q, want %q (error: %v)", got, code, err)
	}
	for _, f := range fragments {
		if !strings.Contains(fieldlink.ErrorMessage(err), f) {
			t.Errorf("error message %q does not contain %q", fieldlink.ErrorMessage(err), f)
		}
	}
}

func createTestDatasource(t *testing.T, db *DB, name string) fieldlink.Datasource {
	t.Helper()

	ds := fieldlink.Datasource{Name: name, BaseURL: "http://127.0.0.1:1/api"}
	if err := db.CreateDatasource(context.Background(), &ds); err != nil {
		t.Fatalf("CreateDatasource %q: %v", name, err)
	}
	return ds
}
