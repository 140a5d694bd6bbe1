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

	"github.com/fieldlink/fieldlink/config"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// exportUsage is the help text of "fieldlink export".
const exportUsage = `Usage: fieldlink export [--data DIR] [--database URL] [-o FILE] (--transport-key-file FILE | --without-secrets | --plaintext-secrets)

Writes every datasource, item, rule, hook, admin and API token of the data
folder's database, or of the --database (env FIELDLINK_DATABASE) as for
serve, as one JSON document (format version 2), to FILE or standard output.
Events, sessions, health, the audit log and the admin token are not
exported, and neither is the master key. Secrets, admin password hashes and
API token hashes are sealed with the transport key from
--transport-key-file, which is created (mode 0600) when missing: copy it to
the target apart from the document and give it to fieldlink import.

Flags:
`

// importUsage is the help text of "fieldlink import".
const importUsage = `Usage: fieldlink import [--data DIR] [--database URL] -f FILE [--transport-key-file FILE] [--replace]

Loads a document written by fieldlink export into the data folder's
database, or into the --database (env FIELDLINK_DATABASE) as for serve. A
missing SQLite file or master key file is created, and a PostgreSQL
database gets fieldlink's tables. Every record keeps its ID, so the hook
URLs in Jira, the item lookup URLs in Jira Automation and API links stay
valid. Every secret is sealed again under the target's master key (from
FIELDLINK_MASTER_KEY or the data folder's master.key), which must be the key
of the servers that use the target.

The import writes everything in one transaction, or nothing. It is rejected
when the target already holds datasources, items, rules or hooks, or an
admin or API token with a username, ID, name or hash of the document's,
unless --replace is given.

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

	var doc config.Document
	err := withAdminDB(ctx, newKeySource(*data, *database), func(db *store.DB) error {
		var err error
		doc, err = config.Export(ctx, storesOf(db))
		return err
	})
	if err != nil {
		return err
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
	replace := fs.Bool("replace", false, "delete the target's datasources, items, rules and hooks, and its admins and API tokens that collide with the document's, in the import's transaction")
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
	db, err := openImportTarget(ctx, source, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	summary, err := plan.Write(ctx, importTarget{db}, *replace)
	var conflict *store.ImportConflictError
	if errors.As(err, &conflict) {
		return fmt.Errorf("import %s into %s: %w. Nothing was written: import into an empty database, or give --replace to delete these records in the import's transaction", *file, source.databaseName(), err)
	}
	if err != nil {
		return fmt.Errorf("import %s into %s: %w. Nothing was written", *file, source.databaseName(), err)
	}
	printImportSummary(stdout, doc, summary)
	return nil
}

// openImportTarget opens the database to import into with the master key
// of its servers, creating a missing SQLite file and key file.
func openImportTarget(ctx context.Context, source keySource, stderr io.Writer) (*store.DB, error) {
	if err := source.createDataDir(); err != nil {
		return nil, err
	}
	if !source.postgres() {
		created, err := createSQLiteFile(source.database)
		if err != nil {
			return nil, err
		}
		if created {
			fmt.Fprintf(stderr, "Created database %s.\n", source.database)
		}
	}

	sealer, created, err := seal.LoadSealer(source.env, source.keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(stderr, "Created master key file %s. Back it up with the database; every server on this database needs this key.\n", source.keyFile)
	}
	return store.Open(ctx, source.database, sealer, nil)
}

// importTarget writes an import into a store.DB.
type importTarget struct{ db *store.DB }

func (t importTarget) ImportRecords(ctx context.Context, r config.Records, replace bool) (int, error) {
	result, err := t.db.ImportConfiguration(ctx, store.Configuration{
		Datasources: r.Datasources,
		Items:       r.Items,
		Rules:       r.Rules,
		Hooks:       r.Hooks,
		Admins:      r.Admins,
		Tokens:      r.Tokens,
	}, store.ImportOptions{Replace: replace})
	return result.Replaced, err
}

// printImportSummary prints the counts and the hook URLs, which stay those
// that Jira calls.
func printImportSummary(w io.Writer, doc config.Document, s config.Summary) {
	fmt.Fprintf(w, "Imported %d datasources, %d items, %d rules, %d hooks, %d admins and %d API tokens.\n", s.Datasources, s.Items, s.Rules, s.Hooks, s.Admins, s.Tokens)
	if s.Replaced > 0 {
		fmt.Fprintf(w, "Deleted %d records of the target that the import replaced.\n", s.Replaced)
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

// readDocument reads and decodes an export document.
func readDocument(path string) (config.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return config.Document{}, fmt.Errorf("read the document: %w", err)
	}
	var doc config.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return config.Document{}, fmt.Errorf("%s is not a document written by fieldlink export: %w", path, err)
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
