package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// migrateUsage is the help text of "fieldlink migrate".
const migrateUsage = `Usage: fieldlink migrate [--data DIR] [--database URL] [--status]

Applies fieldlink's and River's database migrations to the data folder's
SQLite file, or to the --database (env FIELDLINK_DATABASE) as for serve,
prints the schema versions before and after, and exits. serve applies them
at start too; run a new release's migrate to upgrade the schema before its
servers start, for example once before several replicas start. A missing
SQLite file is created. No master key is needed.

With --status it prints the current and the latest known versions and
changes nothing. SQLite and PostgreSQL number their migrations apart, so
one release shows other versions on each: compare a database only with
the latest known version that migrate prints for it.

A database that a newer fieldlink migrated fails with exit code 1: run that
release or a later one.

Flags:
`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, migrateUsage); fs.PrintDefaults() }
	data, database := addDataFlags(fs)
	statusOnly := fs.Bool("status", false, "print the schema versions and change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf(stderr, "migrate takes no arguments, got %q", fs.Args())
	}

	source := newKeySource(*data, *database)
	if err := source.checkPath(); err != nil {
		return err
	}
	before, err := store.ReadSchemaStatus(ctx, source.database)
	if err != nil {
		return err
	}
	if *statusOnly || before.TooNew() {
		printSchemaStatus(stdout, source, before)
		return schemaTooNewError(before)
	}

	if !source.postgres() {
		if source.databaseFlag == "" {
			if err := source.createDataDir(); err != nil {
				return err
			}
		}
		if _, err := createSQLiteFile(source.database); err != nil {
			return err
		}
	}
	// Migrations neither read nor write a sealed value, so a key of this
	// run alone serves, and migrate needs no master key.
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, source.database, sealer, nil)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}

	after, err := store.ReadSchemaStatus(ctx, source.database)
	if err != nil {
		return err
	}
	printMigration(stdout, source, before, after)
	return nil
}

// printSchemaStatus prints the versions of a database and what to do.
func printSchemaStatus(w io.Writer, source keySource, s store.SchemaStatus) {
	printDatabaseLine(w, source, s)
	fmt.Fprintf(w, "fieldlink schema version: %d (latest known: %d)\n", s.Version, s.LatestVersion)
	fmt.Fprintf(w, "River schema version: %d (latest known: %d)\n", s.RiverVersion, s.LatestRiverVersion)
	fmt.Fprintln(w, separateNumbering)

	switch {
	case s.TooNew():
		fmt.Fprintln(w, "A newer fieldlink migrated this database.")
	case s.UpToDate():
		fmt.Fprintln(w, "Up to date.")
	default:
		fmt.Fprintln(w, "Migrations to apply: run fieldlink migrate, or start fieldlink serve, which applies them.")
	}
}

// printMigration prints the versions before and after a migration.
func printMigration(w io.Writer, source keySource, before, after store.SchemaStatus) {
	printDatabaseLine(w, source, before)
	fmt.Fprintf(w, "fieldlink schema version: %d before, %d after (latest known: %d)\n", before.Version, after.Version, after.LatestVersion)
	fmt.Fprintf(w, "River schema version: %d before, %d after (latest known: %d)\n", before.RiverVersion, after.RiverVersion, after.LatestRiverVersion)
	fmt.Fprintln(w, separateNumbering)
	if before.Version == after.Version && before.RiverVersion == after.RiverVersion {
		fmt.Fprintln(w, "Nothing to apply: up to date.")
	}
}

// separateNumbering explains why one release shows other versions on
// SQLite than on PostgreSQL.
const separateNumbering = "SQLite and PostgreSQL number their migrations apart, so one release shows other versions on each."

// printDatabaseLine prints which database the versions belong to, as the
// other offline commands do.
func printDatabaseLine(w io.Writer, source keySource, s store.SchemaStatus) {
	note := ""
	if s.Missing {
		note = "; the file does not exist yet"
	}
	fmt.Fprintf(w, "Database: %s (%s%s)\n", s.Name, source.databaseOrigin(), note)
}

// schemaTooNewError returns an error matching store.ErrSchemaTooNew when a
// newer fieldlink migrated the database, and nil otherwise.
func schemaTooNewError(s store.SchemaStatus) error {
	if !s.TooNew() {
		return nil
	}
	return fmt.Errorf("%w: %s is at schema version %d, and this fieldlink (version %s) knows versions up to %d: run a newer fieldlink release, at least the one that last migrated it",
		store.ErrSchemaTooNew, s.Name, s.Version, version, s.LatestVersion)
}
