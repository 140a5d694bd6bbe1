// Package pgtest gives each test a PostgreSQL database of its own on a
// local server, and drops it when the test ends.
//
// The server is the one at FIELDLINK_TEST_POSTGRES, by default
// postgres://postgres@127.0.0.1:5432/postgres, which must allow the user to
// create databases. When the server cannot be reached the test is skipped,
// unless FIELDLINK_TEST_POSTGRES_REQUIRED=1, as in CI, makes it fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tests use when FIELDLINK_TEST_POSTGRES is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the server tests create databases on.
func ServerURL() string {
	if v := os.Getenv("FIELDLINK_TEST_POSTGRES"); v != "" {
		return v
	}
	return DefaultURL
}

// NewDatabase creates an empty database and returns its URL. The database
// is dropped, with any connection still open to it, when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	server := ServerURL()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		unavailable(t, server, err)
	}
	defer admin.Close(ctx)

	random := make([]byte, 6)
	rand.Read(random)
	name := "fieldlink_test_" + hex.EncodeToString(random)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s on %s: %v", name, redacted(server), err)
	}
	t.Cleanup(func() { drop(t, server, name) })

	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse FIELDLINK_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// drop removes the test database, closing connections a test left open.
func drop(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("connect to drop test database %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)

	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// unavailable skips or fails t because the server cannot be reached.
func unavailable(t testing.TB, server string, err error) {
	t.Helper()

	msg := fmt.Sprintf("PostgreSQL at %s cannot be reached (%v): start it, or set FIELDLINK_TEST_POSTGRES to a server whose user may create databases", redacted(server), err)
	if os.Getenv("FIELDLINK_TEST_POSTGRES_REQUIRED") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func redacted(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "(FIELDLINK_TEST_POSTGRES, which does not parse)"
	}
	return u.Redacted()
}
