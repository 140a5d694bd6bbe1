package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fieldlink/fieldlink/config"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// exportUsage is the help text of "fieldlink export".
const exportUsage = `Usage: fieldlink export [--data DIR] [--database URL] [-o FILE] (--transport-key-file FILE | --without-secrets | --plaintext-secrets)

Writes every datasource, item, rule, hook, admin and API token of the data
folder's database, or of the --database (env FIELDLINK_DATABASE) as for
serve, as one JSON document (format version 3, with the field names of the
REST API), to FILE or standard output. It prints the database it read on
standard error, and warns when that database holds no record. Events,
sessions, datasource health, the audit log and the admin token are not
exported, and neither is the master key. Secrets, admin password hashes and
API token hashes are sealed with the transport key from
--transport-key-file, which is created (mode 0600) when missing: copy it to
the target apart from the document and give it to fieldlink import.

Flags:
`

// importUsage is the help text of "fieldlink import".
const importUsage = `Usage: fieldlink import [--data DIR] [--database URL] -f FILE [--transport-key-file FILE] [--replace]

Loads a document written by fieldlink export (format version 1 to 3) into
the data folder's database, or into the --database (env FIELDLINK_DATABASE)
as for serve, and prints the database it wrote to. A missing SQLite file is
created, and a PostgreSQL database gets fieldlink's tables. Every record
keeps its ID, so the hook URLs in Jira, the item lookup URLs in Jira
Automation and API links stay valid.

Every secret is sealed again under the target's master key: from
FIELDLINK_MASTER_KEY, or else from master.key in the data folder, which
must be the key of the servers that use the target. Replicas that share a
PostgreSQL database need FIELDLINK_MASTER_KEY set here as on them; for a
key file with one key, FIELDLINK_MASTER_KEY=$(cat master.key) works. On
PostgreSQL the import creates no key. On SQLite, when neither exists, a new
key file is created, but only for a database that has no master key yet: a
database whose servers sealed secrets under another key is rejected before
anything is created.

The import writes everything in one transaction, or nothing, and a failed
import removes the data folder, SQLite file and key file that it created.
It is rejected when the target already holds datasources, items, rules or
hooks, or an admin or API token with a username, ID, name or hash of the
document's, and the error lists each of those records with its reason.
--replace deletes them in the import's transaction and lists each one it
replaced or deleted.

Flags:
`

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); fs.PrintDefaults() }
	data, database := addDataFlags(fs)
	output := fs.String("o", "", "file to write the document to (mode 0600); standard output when empty")
	keyFile := fs.String("transport-key-file", "", "file with the transport key (base64 of 32 bytes) that seals the secrets; created with a new key when missing")
	without := fs.Bool("without-secrets", false, "leave every secret and hash out of the document; enter the secrets, admins and API tokens again after the import")
	plaintext := fs.Bool("plaintext-secrets", false, "write the secrets and hashes in clear text (anyone who reads the file can use the secrets)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf(stderr, "export takes no arguments, got %q", fs.Args())
	}
	if countTrue(*keyFile != "", *without, *plaintext) != 1 {
		return usageErrorf(stderr, "export needs exactly one of --transport-key-file FILE, --without-secrets and --plaintext-secrets, so secrets are never written in clear text by accident")
	}

	// The document goes to standard output when -o is not given, so every
	// message goes to standard error.
	source := newKeySource(*data, *database)
	var doc config.Document
	err := withAdminDB(ctx, source, stderr, func(db *store.DB) error {
		var err error
		doc, err = config.Export(ctx, storesOf(db))
		return err
	})
	if err != nil {
		return err
	}
	if doc.Empty() {
		fmt.Fprintf(stderr, "WARNING: %s contains no datasources, items, rules, hooks, admins or API tokens, so the document is empty. Check that --data and --database (env FIELDLINK_DATABASE) name the installation to export.\n", source.describe())
	}

	switch {
	case *without:
		doc.OmitSecrets()
	case *plaintext:
		fmt.Fprintln(stderr, "WARNING: the document contains every secret in clear text. Anyone who reads it can use them: keep it private and delete it after the import.")
	default:
		key, created, err := loadTransportKey(*keyFile, true)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stderr, "Created transport key file %s. Copy it to the target apart from the document and give it to fieldlink import.\n", *keyFile)
		}
		if err := doc.SealSecrets(key); err != nil {
			return err
		}
	}

	encoded, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the document: %w", err)
	}
	encoded = append(encoded, '\n')

	if *output == "" {
		_, err := stdout.Write(encoded)
		return err
	}
	if err := os.WriteFile(*output, encoded, 0o600); err != nil {
		return fmt.Errorf("write the document: %w", err)
	}
	fmt.Fprintf(stderr, "Exported %d datasources, %d items, %d rules, %d hooks, %d admins and %d API tokens to %s (secrets %s).\n",
		len(doc.Datasources), len(doc.Items), len(doc.Rules), len(doc.Hooks), len(doc.Admins), len(doc.Tokens), *output, doc.Secrets)
	return nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	data, database := addDataFlags(fs)
	file := fs.String("f", "", "the document written by fieldlink export")
	keyFile := fs.String("transport-key-file", "", "file with the transport key that sealed the document's secrets")
	replace := fs.Bool("replace", false, "delete the target's datasources, items, rules and hooks, and its admins and API tokens that collide with the document's, in the import's transaction, and list them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf(stderr, "import takes no arguments, got %q", fs.Args())
	}
	if *file == "" {
		return usageErrorf(stderr, "import needs the document: give -f FILE")
	}

	doc, err := readDocument(*file)
	if err != nil {
		return err
	}
	var key []byte
	if *keyFile != "" {
		if key, _, err = loadTransportKey(*keyFile, false); err != nil {
			return err
		}
	} else if doc.Secrets == config.SecretsSealed {
		return fmt.Errorf("%s has secrets sealed with transport key ID %s: give the key file that the export wrote with --transport-key-file FILE", *file, doc.TransportKeyID)
	}

	// The whole document is checked before the target is touched.
	plan, err := config.PlanImport(doc, key)
	if err != nil {
		return fmt.Errorf("import %s: %w", *file, err)
	}

	source := newKeySource(*data, *database)
	target, err := openImportTarget(ctx, source)
	if err != nil {
		return err
	}
	source.printDatabase(stdout)

	summary, err := plan.Write(ctx, target, *replace)
	if err != nil {
		target.undo()
		return importError(*file, source, err)
	}
	recordCLIAudit(ctx, target.db, stderr, "config.import", *file, importDetail(*file, summary))
	if err := target.db.Close(); err != nil {
		return fmt.Errorf("import %s into %s: close the database: %w", *file, source.describe(), err)
	}

	if target.createdDatabase != "" {
		fmt.Fprintf(stderr, "Created database %s.\n", source.database)
	}
	if target.createdKeyFile != "" {
		fmt.Fprintf(stderr, "Created master key file %s. Back it up with the database; every server on this database needs this key.\n", source.keyFile)
	}
	printImportSummary(stdout, plan.Records, doc, summary)
	for _, warning := range plan.Warnings {
		fmt.Fprintf(stderr, "Warning: %s. Correct it in the admin pages or with \"fieldlink datasource update\".\n", warning)
	}
	return nil
}

// importError returns the error of a failed import, with each record that
// the import collides with on a line of its own.
func importError(file string, source keySource, err error) error {
	var conflict *store.ImportConflictError
	if !errors.As(err, &conflict) {
		return fmt.Errorf("import %s into %s: %w. Nothing was written", file, source.describe(), err)
	}

	var lines strings.Builder
	for _, c := range conflict.Conflicts {
		lines.WriteString("\n  " + c.String())
	}
	return fmt.Errorf("import %s into %s: the target already contains %d records that the import collides with:%s\nNothing was written: import into an empty database, or give --replace to delete these records in the import's transaction",
		file, source.describe(), len(conflict.Conflicts), lines.String())
}

// importTarget is the database that an import writes to, with the files
// and folders that opening it created, which a failed import removes.
type importTarget struct {
	db *store.DB

	// createdDataDir, createdDatabase and createdKeyFile are the paths that
	// openImportTarget created, or empty.
	createdDataDir  string
	createdDatabase string
	createdKeyFile  string
}

// openImportTarget opens the database to import into with the master key
// of its servers. It creates a missing data folder, SQLite file and master
// key file, but it checks first that a new master key would not be written
// beside a database whose servers use another one.
func openImportTarget(ctx context.Context, source keySource) (*importTarget, error) {
	if err := source.checkPath(); err != nil {
		return nil, err
	}
	if err := checkSharedKey(source); err != nil {
		return nil, err
	}

	t := &importTarget{}
	fail := func(err error) (*importTarget, error) {
		t.undo()
		return nil, err
	}
	if err := t.createDataDir(source); err != nil {
		return fail(err)
	}
	if !source.postgres() {
		created, err := createSQLiteFile(source.database)
		if err != nil {
			return fail(err)
		}
		if created {
			t.createdDatabase = source.database
		}
	}

	sealer, newKey, err := importSealer(source)
	if err != nil {
		return fail(err)
	}
	if t.db, err = store.Open(ctx, source.database, sealer, nil); err != nil {
		return fail(err)
	}
	if newKey == nil {
		return t, nil
	}

	// No key was given, so a new one is created. A database with a master
	// key check belongs to servers with another key, which could not open
	// what this import would seal.
	checked, err := t.db.HasMasterKeyCheck(ctx)
	if err != nil {
		return fail(err)
	}
	if checked {
		return fail(fmt.Errorf("%s already has secrets sealed under its servers' master key, but no master key was given: %s is not set and %s does not exist, so nothing was imported. Set %s to the servers' key (for a key file with one key: %s=$(cat master.key)), or copy the servers' master.key into %s",
			source.describe(), seal.EnvVar, source.keyFile, seal.EnvVar, seal.EnvVar, source.dataDir))
	}
	if _, err := os.Stat(source.keyFile); err == nil {
		return fail(fmt.Errorf("master key file %s appeared while the import opened the database: run the import again", source.keyFile))
	}
	if err := seal.WriteKeyFile(source.keyFile, [][]byte{newKey}); err != nil {
		return fail(err)
	}
	t.createdKeyFile = source.keyFile
	return t, nil
}

// checkSharedKey rejects an import into PostgreSQL that would create a
// master key of its own, as serve does: every replica must use one key,
// which a key file new in this data folder is not.
func checkSharedKey(source keySource) error {
	if !source.postgres() || source.fromEnv() {
		return nil
	}
	if _, err := os.Stat(source.keyFile); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("no master key for %s: %s is not set and %s does not exist, so nothing was imported. Every server on the database must use one key: set %s here as on the servers (for a key file with one key: %s=$(cat master.key)), or for a new installation create one with \"openssl rand -base64 32\" and set it on every server too",
		source.describe(), seal.EnvVar, source.keyFile, seal.EnvVar, seal.EnvVar)
}

// createDataDir creates the data folder, owner-only, when the database is
// its SQLite file or the master keys come from its key file.
func (t *importTarget) createDataDir(source keySource) error {
	if source.databaseFlag != "" && source.fromEnv() {
		return nil
	}
	if _, err := os.Stat(source.dataDir); err == nil {
		return nil
	}
	if err := source.createDataDir(); err != nil {
		return err
	}
	t.createdDataDir = source.dataDir
	return nil
}

// importSealer returns the sealer of the master keys from
// FIELDLINK_MASTER_KEY or the key file. When neither exists it returns a
// sealer of a new key, and the key, which the caller writes to the key
// file once the target's master key check allows it.
func importSealer(source keySource) (sealer *seal.Sealer, newKey []byte, err error) {
	if !source.fromEnv() {
		if _, err := os.Stat(source.keyFile); errors.Is(err, fs.ErrNotExist) {
			newKey = seal.GenerateKey()
			sealer, err := seal.New(newKey)
			return sealer, newKey, err
		}
	}

	sealer, _, err = seal.LoadSealer(source.env, source.keyFile)
	return sealer, nil, err
}

// undo closes the database and removes what opening it created: the key
// file, the SQLite file with its write-ahead log, and the data folder when
// it is empty. Removal is best effort, because the import's own error is
// the one to report.
func (t *importTarget) undo() {
	if t.db != nil {
		t.db.Close()
	}
	if t.createdKeyFile != "" {
		os.Remove(t.createdKeyFile)
	}
	if t.createdDatabase != "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(t.createdDatabase + suffix)
		}
	}
	if t.createdDataDir != "" {
		os.Remove(t.createdDataDir)
	}
}

// ImportRecords writes an import into the target's database.
func (t *importTarget) ImportRecords(ctx context.Context, r config.Records, replace bool) ([]config.Collision, error) {
	result, err := t.db.ImportConfiguration(ctx, store.Configuration{
		Datasources: r.Datasources,
		Items:       r.Items,
		Rules:       r.Rules,
		Hooks:       r.Hooks,
		Admins:      r.Admins,
		Tokens:      r.Tokens,
	}, store.ImportOptions{Replace: replace})
	if err != nil {
		return nil, err
	}

	var replaced []config.Collision
	for _, c := range result.Replaced {
		replaced = append(replaced, config.Collision(c))
	}
	return replaced, nil
}

// printImportSummary prints the counts, the records that --replace
// deleted, and the hook URLs, which stay those that Jira calls.
func printImportSummary(w io.Writer, records config.Records, doc config.Document, s config.Summary) {
	fmt.Fprintf(w, "Imported %d datasources, %d items, %d rules, %d hooks, %d admins and %d API tokens.\n", s.Datasources, s.Items, s.Rules, s.Hooks, s.Admins, s.Tokens)
	if len(s.Replaced) > 0 {
		fmt.Fprintf(w, "Replaced or deleted %d records of the target that the import collided with:\n", len(s.Replaced))
		imported := importedKeys(records)
		for _, c := range s.Replaced {
			verb := "deleted"
			if imported[c.Kind+":"+c.ID] {
				verb = "replaced"
			}
			fmt.Fprintf(w, "  %s %s\n", verb, store.ImportConflict(c))
		}
	}
	if s.SecretsOmitted {
		fmt.Fprintln(w, "The document carried no secrets: enter the datasource and hook secrets again with fieldlink datasource update.")
	}
	if s.SkippedAdmins > 0 || s.SkippedTokens > 0 {
		fmt.Fprintf(w, "Left out %d admins and %d API tokens, whose hashes the document does not carry: create them again with fieldlink admin create and fieldlink token create.\n", s.SkippedAdmins, s.SkippedTokens)
	}
	for _, h := range doc.Hooks {
		fmt.Fprintf(w, "Hook %q keeps its ID %s: Jira keeps calling /hooks/jira/%s.\n", h.Name, h.ID, h.ID)
	}
}

// importedKeys returns "kind:ID" for every imported record, with the kinds
// of store.ImportConflict and an admin's username as its ID.
func importedKeys(r config.Records) map[string]bool {
	keys := map[string]bool{}
	for _, ds := range r.Datasources {
		keys["datasource:"+ds.ID] = true
	}
	for _, it := range r.Items {
		keys["item:"+it.ID] = true
	}
	for _, rule := range r.Rules {
		keys["rule:"+rule.ID] = true
	}
	for _, h := range r.Hooks {
		keys["hook:"+h.ID] = true
	}
	for _, a := range r.Admins {
		keys["admin:"+a.Username] = true
	}
	for _, t := range r.Tokens {
		keys["API token:"+t.ID] = true
	}
	return keys
}

// readDocument reads and decodes an export document.
func readDocument(path string) (config.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return config.Document{}, fmt.Errorf("read the document: %w", err)
	}
	doc, err := config.DecodeDocument(data)
	if err != nil {
		return config.Document{}, fmt.Errorf("read %s: %w", path, err)
	}
	return doc, nil
}

// loadTransportKey reads the transport key file, or creates it with a new
// key when create is set and the file is missing.
func loadTransportKey(path string, create bool) (key []byte, created bool, err error) {
	keys, err := seal.ReadKeyFile(path)
	if err == nil {
		return keys[0], false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("transport key: %w", err)
	}
	if !create {
		return nil, false, fmt.Errorf("transport key file %s does not exist: copy the key file that fieldlink export wrote beside the document", path)
	}

	key = seal.GenerateKey()
	if err := seal.WriteKeyFile(filepath.Clean(path), [][]byte{key}); err != nil {
		return nil, false, fmt.Errorf("create transport key file: %w", err)
	}
	return key, true, nil
}

// storesOf returns the stores of a database that export reads.
func storesOf(db *store.DB) config.Stores {
	return config.Stores{Datasources: db, Items: db, Rules: db, Hooks: db, Accounts: db}
}

func countTrue(values ...bool) int {
	n := 0
	for _, v := range values {
		if v {
			n++
		}
	}
	return n
}
