package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/seal"
)

// auditLog returns the folder's audit entries, oldest first.
func auditLog(t *testing.T, dir string) []auth.AuditEntry {
	t.Helper()
	db := openDataFolder(t, dir)
	defer db.Close()

	entries, err := db.ListAudit(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	return entries
}

// checkAuditEntries checks that the entries are by the command line's actor
// and match want, one pattern for each entry's action and detail.
func checkAuditEntries(t *testing.T, entries []auth.AuditEntry, want []string) {
	t.Helper()
	if len(entries) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		if e.Actor != cliActor() || !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("entry %d actor %q, want %q", i, e.Actor, cliActor())
		}
		line := e.Action + ": " + e.Detail
		if !regexp.MustCompile(want[i]).MatchString(line) {
			t.Errorf("entry %d is %q, want it to match %q", i, line, want[i])
		}
	}
}

// checkNoSecretInAudit fails the test when an entry contains one of the
// values, or a key in base64.
func checkNoSecretInAudit(t *testing.T, entries []auth.AuditEntry, values []string, keys ...[]byte) {
	t.Helper()
	for _, key := range keys {
		values = append(values, base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key))
	}
	for _, e := range entries {
		text := e.Actor + " " + e.Action + " " + e.Target + " " + e.Detail
		for _, value := range values {
			if strings.Contains(text, value) {
				t.Errorf("audit entry %q contains a secret", text)
			}
		}
	}
}

func TestKeysCommandsRecordAudit(t *testing.T) {
	dir, oldKey := newDataFolder(t)
	fillDataFolder(t, dir)

	if out, stderr, err := runCommand(t, "keys", "rotate", "--data", dir); err != nil {
		t.Fatalf("keys rotate: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := runCommand(t, "keys", "reseal", "--data", dir); err != nil {
		t.Fatalf("keys reseal: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := runCommand(t, "keys", "rotate", "--retire-old", "--data", dir); err != nil {
		t.Fatalf("keys rotate --retire-old: %v\n%s%s", err, out, stderr)
	}

	keys, err := seal.ReadKeyFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	newID, oldID := seal.KeyID(keys[0]), seal.KeyID(oldKey)
	entries := auditLog(t, dir)
	checkAuditEntries(t, entries, []string{
		`^keys\.rotate: rotated the master key: wrote key ID ` + newID + ` first to .*master\.key and re-sealed [1-9][0-9]* stored values under it$`,
		`^keys\.reseal: re-sealed [0-9]+ stored values under master key ID ` + newID + `$`,
		`^keys\.retire: retired the old key ID ` + oldID + ` from .*master\.key, which now holds key ID ` + newID + ` alone$`,
	})
	checkNoSecretInAudit(t, entries, []string{secretMarker}, oldKey, keys[0])
}

func TestKeysRotateEnvKeyRecordsAudit(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := seal.GenerateKey(), seal.GenerateKey()
	if err := seal.WriteKeyFile(filepath.Join(dir, "master.key"), [][]byte{oldKey}); err != nil {
		t.Fatal(err)
	}
	fillDataFolder(t, dir)

	// The command reads the keys from FIELDLINK_MASTER_KEY, newest first,
	// as the servers do during the rotation.
	t.Setenv(seal.EnvVar, seal.EncodeKey(newKey)+","+seal.EncodeKey(oldKey))
	for _, args := range [][]string{
		{"keys", "rotate", "--new-key-id", seal.KeyID(newKey), "--data", dir},
		{"keys", "rotate", "--retire-old", "--data", dir},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
	}
	t.Setenv(seal.EnvVar, "")

	entries := auditLog(t, dir)
	checkAuditEntries(t, entries, []string{
		`^keys\.rotate: rotated the master key to key ID ` + seal.KeyID(newKey) + `, listed first in FIELDLINK_MASTER_KEY, and re-sealed [1-9][0-9]* stored values under it$`,
		`^keys\.retire: checked that no stored value uses the old key ID ` + seal.KeyID(oldKey) + `, so FIELDLINK_MASTER_KEY may list key ID ` + seal.KeyID(newKey) + ` alone$`,
	})
	checkNoSecretInAudit(t, entries, []string{secretMarker}, oldKey, newKey)
}

func TestAdminCommandsRecordAudit(t *testing.T) {
	dir, _ := newDataFolder(t)
	const firstPassword, secondPassword = "first password 1234", "second password 5678"
	t.Cleanup(func() { stdin = os.Stdin })

	stdin = strings.NewReader(firstPassword + "\n")
	if out, stderr, err := runCommand(t, "admin", "create", "--username", "ana", "--data", dir); err != nil {
		t.Fatalf("admin create: %v\n%s%s", err, out, stderr)
	}
	stdin = strings.NewReader(secondPassword + "\n")
	if out, stderr, err := runCommand(t, "admin", "password", "ana", "--data", dir); err != nil {
		t.Fatalf("admin password: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := runCommand(t, "admin", "delete", "ana", "--data", dir); err != nil {
		t.Fatalf("admin delete: %v\n%s%s", err, out, stderr)
	}

	entries := auditLog(t, dir)
	checkAuditEntries(t, entries, []string{
		`^admin\.create: created admin "ana"$`,
		`^admin\.password: changed the password of admin "ana" and ended its sessions$`,
		`^admin\.delete: deleted admin "ana" and ended its sessions$`,
	})
	checkNoSecretInAudit(t, entries, []string{firstPassword, secondPassword})
}

func TestImportRecordsAudit(t *testing.T) {
	source, _ := newDataFolder(t)
	fillDataFolder(t, source)
	target, _ := newDataFolder(t)

	file := filepath.Join(t.TempDir(), "config.json")
	keyFile := filepath.Join(t.TempDir(), "transport.key")
	if _, stderr, err := runCommand(t, "export", "--data", source, "-o", file, "--transport-key-file", keyFile); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if _, stderr, err := runCommand(t, "import", "--data", target, "-f", file, "--transport-key-file", keyFile); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}

	entries := auditLog(t, target)
	checkAuditEntries(t, entries, []string{
		`^config\.import: imported 2 datasources, 1 items, 2 rules, 1 hooks, 0 admins and 0 API tokens from ` + regexp.QuoteMeta(file) + `$`,
	})
	if entries[0].Target != file {
		t.Errorf("import entry target %q, want the document %s", entries[0].Target, file)
	}
	checkNoSecretInAudit(t, entries, []string{secretMarker})
}
