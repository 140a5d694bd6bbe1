package sqlite

import (
	"errors"
	"strings"

	"github.com/fieldlink/fieldlink"
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

// isConstraint reports whether err is SQLite's extended result code code,
// such as SQLITE_CONSTRAINT_UNIQUE.
func isConstraint(err error, code int) bool {
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code() == code
}

func isUniqueViolation(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

func isForeignKeyViolation(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
}
