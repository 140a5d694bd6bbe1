package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// databaseFlagUsage is the help of --database on the commands that open the
// database without a server.
const databaseFlagUsage = "postgres:// URL of the PostgreSQL database, or path of an SQLite file; empty for fieldlink.db in the data folder, as for serve (env FIELDLINK_DATABASE)"

// addDataFlags defines --data and --database on fs and returns their values.
func addDataFlags(fs *flag.FlagSet) (data, database *string) {
	data = fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder holding the master key file, and the SQLite database unless --database is given (env FIELDLINK_DATA)")
	database = fs.String("database", envOr("FIELDLINK_DATABASE", ""), databaseFlagUsage)
	return data, database
}

// keySource is the origin of the master keys, FIELDLINK_MASTER_KEY or else
// the key file in the data folder, and the database they seal.
type keySource struct {
	env     string
	keyFile string
	dataDir string

	// database is the PostgreSQL URL or SQLite path that --database gave,
	// or else fieldlink.db in the data folder.
	database string

	// databaseFlag is the value of --database, empty when the data
	// folder's file is used.
	databaseFlag string
}

func newKeySource(dataDir, database string) keySource {
	s := keySource{
		env:          os.Getenv(seal.EnvVar),
		keyFile:      filepath.Join(dataDir, "master.key"),
		dataDir:      dataDir,
		database:     database,
		databaseFlag: database,
	}
	if s.database == "" {
		s.database = filepath.Join(dataDir, "fieldlink.db")
	}
	return s
}

func (s keySource) fromEnv() bool { return s.env != "" }

func (s keySource) postgres() bool { return store.IsPostgresURL(s.database) }

// name returns the source of the keys as a person calls it in a message.
func (s keySource) name() string {
	if s.fromEnv() {
		return seal.EnvVar
	}
	return s.keyFile
}

// databaseName returns the database for messages: the SQLite path, or the
// PostgreSQL URL without its password.
func (s keySource) databaseName() string {
	return store.RedactDatabase(s.database)
}

// backend returns "PostgreSQL" or "SQLite".
func (s keySource) backend() string {
	if s.postgres() {
		return "PostgreSQL"
	}
	return "SQLite"
}

// describe returns the database for a sentence, such as "SQLite database
// /var/lib/fieldlink/fieldlink.db".
func (s keySource) describe() string {
	return s.backend() + " database " + s.databaseName()
}

// printDatabase prints the line that names the database a command works
// on, so that a command run without FIELDLINK_DATABASE on a host that moved
// to PostgreSQL shows at once that it used the old SQLite file.
func (s keySource) printDatabase(w io.Writer) {
	fmt.Fprintf(w, "Database: %s (%s)\n", s.databaseName(), s.databaseOrigin())
}

// databaseOrigin returns the backend, and for the data folder's SQLite file
// why that file was chosen.
func (s keySource) databaseOrigin() string {
	if s.databaseFlag == "" {
		return "SQLite, the file in --data, because --database and FIELDLINK_DATABASE are empty"
	}
	return s.backend()
}

// checkPath rejects an SQLite path that is a folder, which SQLite would
// report only as "unable to open database file".
func (s keySource) checkPath() error {
	if s.postgres() {
		return nil
	}
	info, err := os.Stat(s.database)
	if err != nil || !info.IsDir() {
		return nil
	}
	if s.databaseFlag == "" {
		return fmt.Errorf("database %s is a folder, not an SQLite file: move it away, or give the database with --database", s.database)
	}
	return fmt.Errorf("--database %s is a folder: --database (env FIELDLINK_DATABASE) takes the path of an SQLite file, such as %s, or a postgres:// URL", s.database, filepath.Join(s.database, "fieldlink.db"))
}

// flags returns the --data and --database flags that name this source
// again, for the next commands that a message suggests. A PostgreSQL
// password shows as "xxxxx".
func (s keySource) flags() string {
	if s.databaseFlag == "" {
		return "--data " + s.dataDir
	}
	database := store.RedactDatabase(s.databaseFlag)
	if strings.ContainsAny(database, " &?") {
		// A keyword/value string has spaces, and a URL's query has
		// characters that a shell would take, so the value is quoted.
		database = "'" + database + "'"
	}
	return fmt.Sprintf("--data %s --database %s", s.dataDir, database)
}

// keys returns the master keys, newest first. Unlike the server it never
// creates a key file. It checks the database path first, because every
// command that needs the keys opens the database next, and a folder given
// as --database is the more useful error.
func (s keySource) keys() ([][]byte, error) {
	if err := s.checkPath(); err != nil {
		return nil, err
	}
	if s.fromEnv() {
		keys, _, err := seal.LoadKeys(s.env, "")
		return keys, err
	}

	keys, err := seal.ReadKeyFile(s.keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no master key file at %s and %s is not set: give the data folder of the server with --data, or set %s as the server has it", s.keyFile, seal.EnvVar, seal.EnvVar)
	}
	return keys, err
}

// openDB opens the existing database with the key ring. It creates
// nothing: a missing SQLite file, or a PostgreSQL database without
// fieldlink's tables, means a wrong --data or --database.
func (s keySource) openDB(ctx context.Context, sealer *seal.Sealer) (*store.DB, error) {
	if err := s.checkPath(); err != nil {
		return nil, err
	}
	if s.postgres() {
		status, err := store.ReadSchemaStatus(ctx, s.database)
		if err != nil {
			return nil, err
		}
		if status.Version == 0 {
			return nil, fmt.Errorf("database %s has no fieldlink tables: check --database (env FIELDLINK_DATABASE), or create them with \"fieldlink migrate %s\"", status.Name, s.flags())
		}
		return store.Open(ctx, s.database, sealer, nil)
	}

	if _, err := os.Stat(s.database); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open database %s: %w", s.database, err)
		}
		if s.databaseFlag != "" {
			return nil, fmt.Errorf("no database at %s: check --database (env FIELDLINK_DATABASE)", s.database)
		}
		return nil, fmt.Errorf("no database at %s: give the data folder of the server with --data, or its database with --database", s.database)
	}
	return store.Open(ctx, s.database, sealer, nil)
}

// createDataDir creates the data folder, owner-only, when the database is
// its SQLite file or the master keys come from its key file.
func (s keySource) createDataDir() error {
	if s.databaseFlag != "" && s.fromEnv() {
		return nil
	}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data folder %s: %w", s.dataDir, err)
	}
	return nil
}

// createSQLiteFile creates the SQLite file readable by the owner only,
// unless it exists, as serve does on a first start. Its folder must exist.
func createSQLiteFile(path string) (created bool, err error) {
	if err := store.CheckDatabaseName(path); err != nil {
		return false, err
	}
	if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("create database %s: folder %s does not exist: create it first", path, filepath.Dir(path))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create database file %s: %w", path, err)
	}
	return true, f.Close()
}
