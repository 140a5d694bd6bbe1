package store

import (
	"errors"
	"strings"
	"syscall"

	"github.com/fieldlink/fieldlink"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func notFound(kind, id string) error {
	return fieldlink.Errorf(fieldlink.ENotFound, "%s %q not found", kind, id)
}

func nameTaken(kind, name string) error {
	article := "a"
	if strings.ContainsAny(kind[:1], "aeiou") {
		article = "an"
	}
	return fieldlink.Errorf(fieldlink.EConflict, "%s %s named %q already exists: choose another name", article, kind, name)
}

// isConstraint reports whether err is SQLite's extended result code
// sqliteCode, such as SQLITE_CONSTRAINT_UNIQUE, or PostgreSQL's SQLSTATE
// pgCode, such as 23505.
func isConstraint(err error, sqliteCode int, pgCode string) bool {
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqliteCode
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgCode
}

// isUniqueViolation reports a duplicate key, primary keys included.
func isUniqueViolation(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, "23505") ||
		isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, "23505")
}

func isForeignKeyViolation(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, "23503")
}

// IsDiskFull reports whether err is a write that failed because the disk
// holding the database is full: SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE
// 53100 (disk_full) or the system's ENOSPC.
func IsDiskFull(err error) bool {
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) && sqliteErr.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}
