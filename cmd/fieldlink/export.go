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
const exportUsage = `Usage: fieldlink export --data DIR [-o FILE] (--transport-key-file FILE | --without-secrets | --plaintext-secrets)

Writes every datasource, item, rule and hook of the data folder as one JSON
document (format version 1), to FILE or standard output. Events, sessions,
tokens, admins and the audit log are not exported, and neither is the master
key. Secrets are sealed with the transport key from --transport-key-file,
which is created (mode 0600) when missing: copy it to the target apart from
the document and give it to fieldlink import.

Flags:
`

// importUsage is the help text of "fieldlink import".
const importUsage = `Usage: fieldlink import --data DIR -f FILE [--transport-key-file FILE] [--replace]

Loads a document written by fieldlink export into the data folder, which is
created with a master key when missing. Every secret is sealed again under
the folder's master key. The import is rejected when the folder already holds
datasources, items, rules or hooks, unless --replace is given. The stores
assign new IDs, so the summary lists the new hook URLs to give Jira.

Flags:
`

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); fs.PrintDefaults() }
	data := fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder holding the database and the master key file (env FIELDLINK_DATA)")
	output := fs.String("o", "", "file to write the document to (mode 0600); standard output when empty")
	keyFile := fs.String("transport-key-file", "", "file with the transport key (base64 of 32 bytes) that seals the secrets; created with a new key when missing")
	without := fs.Bool("without-secrets", false, "leave every secret out of the document; enter them again after the import")
	plaintext := fs.Bool("plaintext-secrets", false, "write the secrets in clear text (anyone who reads the file can use them)")
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
	err := withAdminDB(ctx, *data, func(db *store.DB) error {
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
	fmt.Fprintf(stderr, "Exported %d datasources, %d items, %d rules and %d hooks to %s (secrets %s).\n",
		len(doc.Datasources), len(doc.Items), len(doc.Rules), len(doc.Hooks), *output, doc.Secrets)
	return nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	data := fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder to import into (env FIELDLINK_DATA)")
	file := fs.String("f", "", "the document written by fieldlink export")
	keyFile := fs.String("transport-key-file", "", "file with the transport key that sealed the document's secrets")
	replace := fs.Bool("replace", false, "delete the datasources, items, rules and hooks of the data folder before the import")
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

	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("create data folder %s: %w", *data, err)
	}
	source := newKeySource(*data)
	sealer, created, err := seal.LoadSealer(source.env, source.keyFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "Created master key file %s. Back it up with the database.\n", source.keyFile)
	}
	db, err := store.Open(ctx, source.dbPath, sealer, nil)
	if err != nil {
		return err
	}
	defer db.Close()

	summary, err := config.Import(ctx, storesOf(db), doc, config.ImportOptions{TransportKey: key, Replace: *replace})
	if err != nil {
		return fmt.Errorf("import %s into %s: %w", *file, *data, err)
	}
	printImportSummary(stdout, doc, summary)
	return nil
}

// printImportSummary prints the counts and the new hook IDs, which change
// the hook URLs that Jira calls.
func printImportSummary(w io.Writer, doc config.Document, s config.Summary) {
	fmt.Fprintf(w, "Imported %d datasources, %d items, %d rules and %d hooks.\n", s.Datasources, s.Items, s.Rules, s.Hooks)
	if s.Replaced > 0 {
		fmt.Fprintf(w, "Deleted %d records that the data folder held before.\n", s.Replaced)
	}
	if s.SecretsOmitted {
		fmt.Fprintln(w, "The document carried no secrets: enter the datasource and hook secrets again with fieldlink datasource update.")
	}
	for _, h := range doc.Hooks {
		fmt.Fprintf(w, "Hook %q has the new ID %s: point Jira at /hooks/jira/%s.\n", h.Name, s.IDs[h.ID], s.IDs[h.ID])
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

// storesOf returns the configuration stores of a database.
func storesOf(db *store.DB) config.Stores {
	return config.Stores{Datasources: db, Items: db, Rules: db, Hooks: db}
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
