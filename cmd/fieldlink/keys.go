package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// keysUsage is the help text of "fieldlink keys".
const keysUsage = `Usage: fieldlink keys COMMAND [flags]

Manages the master keys that seal the secrets in the data folder's
database, or with --database (env FIELDLINK_DATABASE) in that database, as
for serve. The keys come from FIELDLINK_MASTER_KEY when it is set (several
base64 keys separated by commas, newest first), otherwise from master.key in
the data folder (one key a line, newest first). Key IDs are safe to share;
keys are never printed, except a generated key that is not written to a
file.

Commands:
  id       print the key IDs of the master key ring, newest first
  rotate   add a new master key and seal every stored secret again under it,
           or with --retire-old drop the old keys once no value uses them
  reseal   seal every stored secret again under the newest key of the ring,
           for example to finish a rotation whose re-seal step failed

Which procedure to use:
  - One server with master.key in its data folder: rotate with master.key.
  - Several replicas on one PostgreSQL database, or any server whose key is
    in FIELDLINK_MASTER_KEY (a Kubernetes Secret, an environment file):
    rotate with FIELDLINK_MASTER_KEY. Replicas in other data folders do not
    read this host's master.key, and these steps give every replica the new
    key before a value is sealed under it.

Rotating with master.key, on one host:
  1. fieldlink keys rotate --data DIR
     writes master.key with a new key first and the old keys after it, then
     seals every secret again under the new key. A running server on the
     data folder reads the new key from master.key when it meets a value
     sealed under it.
  2. When the server runs with the new key (after a restart at the latest):
     fieldlink keys rotate --retire-old --data DIR
     drops the old keys from master.key, and refuses while a value still
     uses one.

Rotating with FIELDLINK_MASTER_KEY, on several replicas (give --database,
or FIELDLINK_DATABASE, as the replicas have it):
  1. fieldlink keys rotate --data DIR --database URL
     with the current FIELDLINK_MASTER_KEY prints a new key (written
     nowhere) and its key ID. A key from openssl rand -base64 32 serves
     too: fieldlink keys id prints its ID once it is in the ring.
  2. Set FIELDLINK_MASTER_KEY="NEW,OLD" (the new key, a comma and the
     current value) on every replica and restart them one after another.
     Change no configuration until every replica runs with both keys.
  3. With that same FIELDLINK_MASTER_KEY here, run
     fieldlink keys rotate --new-key-id NEW_KEY_ID --data DIR --database URL
     It checks that the ring lists the new key first, then seals every
     stored value again under it.
  4. With that same FIELDLINK_MASTER_KEY, run
     fieldlink keys rotate --retire-old --data DIR --database URL
     which checks that no stored value uses the old key. Then set
     FIELDLINK_MASTER_KEY to the new key alone on every replica and
     restart them.

Flags:
`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keysUsage)
		newKeysFlags("keys", stderr).PrintDefaults()
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}

	switch args[0] {
	case "id":
		return runKeysID(args[1:], stdout, stderr)
	case "rotate":
		return runKeysRotate(ctx, args[1:], stdout, stderr)
	case "reseal":
		return runKeysReseal(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown keys command %q: use id, rotate or reseal (see \"fieldlink keys -h\")", args[0])
}

// keysFlags are the flags of the keys commands.
type keysFlags struct {
	*flag.FlagSet
	data      *string
	database  *string
	newKey    *string
	newKeyID  *string
	retireOld *bool
}

func newKeysFlags(name string, stderr io.Writer) keysFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := keysFlags{FlagSet: fs}
	if name == "id" {
		f.data = fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder holding the master key file (env FIELDLINK_DATA)")
		f.database = new(string)
	} else {
		f.data, f.database = addDataFlags(fs)
	}
	if name == "keys" || name == "rotate" {
		f.newKey = fs.String("new-key", "", "rotate: the new key, base64 of 32 bytes. Without it, a key is generated and written to master.key, or printed when FIELDLINK_MASTER_KEY is set")
		f.newKeyID = fs.String("new-key-id", "", "rotate with FIELDLINK_MASTER_KEY: the key ID of the new key, which must come first in FIELDLINK_MASTER_KEY; keeps the key itself off the command line")
		f.retireOld = fs.Bool("retire-old", false, "rotate: drop the old keys once no stored value uses them, instead of adding a key")
	}
	return f
}

func (f keysFlags) parse(args []string) error {
	if err := parseFlags(f.FlagSet, args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("keys %s takes no arguments, got %q", f.Name(), f.Args())
	}
	return nil
}

func runKeysID(args []string, stdout, stderr io.Writer) error {
	f := newKeysFlags("id", stderr)
	if err := f.parse(args); err != nil {
		return err
	}

	source := newKeySource(*f.data, *f.database)
	keys, err := source.keys()
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Master key IDs from %s, newest first:\n", source.name())
	for i, key := range keys {
		role := "older: opens values sealed before a rotation"
		if i == 0 {
			role = "newest: seals new values"
		}
		fmt.Fprintf(stdout, "  %s  %s\n", seal.KeyID(key), role)
	}
	return nil
}

func runKeysReseal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newKeysFlags("reseal", stderr)
	if err := f.parse(args); err != nil {
		return err
	}

	source := newKeySource(*f.data, *f.database)
	keys, err := source.keys()
	if err != nil {
		return err
	}
	sealer, err := seal.New(keys...)
	if err != nil {
		return err
	}

	count, err := resealAll(ctx, source, sealer, stdout, "keys.reseal", func(count int) string {
		return fmt.Sprintf("re-sealed %d stored values under master key ID %s", count, sealer.KeyID())
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Re-sealed %d values under key ID %s.\n", count, sealer.KeyID())
	return nil
}

func runKeysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newKeysFlags("rotate", stderr)
	if err := f.parse(args); err != nil {
		return err
	}

	source := newKeySource(*f.data, *f.database)
	if *f.retireOld {
		if *f.newKey != "" {
			return errors.New("--retire-old and --new-key do not go together: rotate first, then retire the old keys")
		}
		return retireOldKeys(ctx, source, stdout)
	}
	if source.fromEnv() {
		return rotateEnvKey(ctx, source, *f.newKey, *f.newKeyID, stdout)
	}
	return rotateKeyFile(ctx, source, *f.newKey, stdout)
}

// rotateKeyFile writes the key file with a new key first and re-seals every
// value under it. The file is written before the re-seal, so a server that
// meets a value under the new key finds the key in the file.
func rotateKeyFile(ctx context.Context, source keySource, newKeyText string, stdout io.Writer) error {
	oldKeys, err := source.keys()
	if err != nil {
		return err
	}

	newKey := seal.GenerateKey()
	if newKeyText != "" {
		if newKey, err = seal.DecodeKey(newKeyText); err != nil {
			return fmt.Errorf("invalid --new-key: %w. Give base64 of 32 random bytes, for example from `openssl rand -base64 32`", err)
		}
	}
	ring := append([][]byte{newKey}, oldKeys...)
	sealer, err := seal.New(ring...)
	if err != nil {
		return fmt.Errorf("add the new key to %s: %w", source.keyFile, err)
	}

	db, err := source.openDB(ctx, sealer)
	if err != nil {
		return err
	}
	defer db.Close()
	source.printDatabase(stdout)

	// Every stored value must open with the keys in the file before the
	// file changes, so a rotation never starts on a database it cannot
	// finish.
	if err := checkKeysKnown(ctx, db, sealer, source); err != nil {
		return err
	}

	if err := seal.WriteKeyFile(source.keyFile, ring); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s: new key ID %s first, then the old %s.\n", source.keyFile, sealer.KeyID(), keyIDList(sealer.KeyIDs()[1:]))

	count, err := db.Reseal(ctx, sealer)
	if err != nil {
		return fmt.Errorf("re-seal under the new key ID %s: %w. %s lists the new key first and keeps the old keys, so every value still opens: fix the cause and run `fieldlink keys reseal %s`",
			sealer.KeyID(), err, source.keyFile, source.flags())
	}
	recordCLIAudit(ctx, db, stdout, "keys.rotate", sealer.KeyID(), fmt.Sprintf("rotated the master key: wrote key ID %s first to %s and re-sealed %d stored values under it",
		sealer.KeyID(), source.keyFile, count))

	fmt.Fprintf(stdout, "Re-sealed %d values under the new key ID %s.\n", count, sealer.KeyID())
	fmt.Fprintf(stdout, "Running servers on this data folder read the new key from %s when they meet a value sealed under it.\n", source.keyFile)
	if source.postgres() {
		fmt.Fprintf(stdout, "Servers in other data folders that share %s need the new key too: copy %s into each of them now.\n", source.databaseName(), source.keyFile)
	}
	fmt.Fprintf(stdout, "Once every server runs with the new key, run `fieldlink keys rotate --retire-old %s` to drop the old keys.\n", source.flags())
	return nil
}

// rotateEnvKey rotates keys kept in FIELDLINK_MASTER_KEY, which this command
// cannot change on the servers. Without a new key it generates one and
// prints the steps. With one, it re-seals only when FIELDLINK_MASTER_KEY
// already lists that key first, as the servers must have it by then.
func rotateEnvKey(ctx context.Context, source keySource, newKeyText, newKeyID string, stdout io.Writer) error {
	keys, err := source.keys()
	if err != nil {
		return err
	}

	if newKeyText == "" && newKeyID != "" {
		if seal.KeyID(keys[0]) != newKeyID {
			printEnvSteps(stdout, source, "", keys)
			return fmt.Errorf("%s does not list the key with ID %s first, so servers may not have it yet and nothing was re-sealed: follow the steps above", seal.EnvVar, newKeyID)
		}
		newKeyText = seal.EncodeKey(keys[0])
	}

	if newKeyText == "" {
		newKey := seal.GenerateKey()
		fmt.Fprintf(stdout, "%s is set, so this command writes no key file. New key (key ID %s), not stored anywhere, so keep it safe now:\n\n  %s\n\n",
			seal.EnvVar, seal.KeyID(newKey), seal.EncodeKey(newKey))
		printEnvSteps(stdout, source, seal.EncodeKey(newKey), keys)
		return nil
	}

	newKey, err := seal.DecodeKey(newKeyText)
	if err != nil {
		return fmt.Errorf("invalid --new-key: %w. Give base64 of 32 random bytes, for example from `openssl rand -base64 32`", err)
	}
	if seal.KeyID(keys[0]) != seal.KeyID(newKey) {
		printEnvSteps(stdout, source, "", keys)
		return fmt.Errorf("%s does not list the new key (key ID %s) first, so servers may not have it yet and nothing was re-sealed: follow the steps above", seal.EnvVar, seal.KeyID(newKey))
	}

	sealer, err := seal.New(keys...)
	if err != nil {
		return err
	}
	count, err := resealAll(ctx, source, sealer, stdout, "keys.rotate", func(count int) string {
		return fmt.Sprintf("rotated the master key to key ID %s, listed first in %s, and re-sealed %d stored values under it", sealer.KeyID(), seal.EnvVar, count)
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Re-sealed %d values under the new key ID %s.\n", count, sealer.KeyID())
	fmt.Fprintf(stdout, "Every value now opens with the new key alone. Check it with `fieldlink keys rotate --retire-old %s`, with the same %s, then set %s on every server to the new key alone (key ID %s) and restart them.\n",
		source.flags(), seal.EnvVar, seal.EnvVar, seal.KeyID(newKey))
	return nil
}

// printEnvSteps prints how to finish a rotation of FIELDLINK_MASTER_KEY.
// newKey is printed only when this run generated it.
func printEnvSteps(w io.Writer, source keySource, newKey string, keys [][]byte) {
	keyText := "NEW"
	if newKey != "" {
		keyText = newKey
	}
	var ids []string
	for _, key := range keys {
		ids = append(ids, seal.KeyID(key))
	}

	fmt.Fprintf(w, "Next steps:\n")
	fmt.Fprintf(w, "  1. On every server, set %s to the new key, a comma and the current value (%s), and restart them one after another:\n", seal.EnvVar, keyIDList(ids))
	fmt.Fprintf(w, "     %s=\"%s,$%s\"\n", seal.EnvVar, keyText, seal.EnvVar)
	fmt.Fprintf(w, "  2. With that same value in %s here, run:\n", seal.EnvVar)
	fmt.Fprintf(w, "     fieldlink keys rotate --new-key-id %s %s\n", newKeyIDText(newKey), source.flags())
	fmt.Fprintf(w, "  3. With that same value, check that no stored value uses the old key:\n")
	fmt.Fprintf(w, "     fieldlink keys rotate --retire-old %s\n", source.flags())
	fmt.Fprintf(w, "     Then set %s to the new key alone on every server and restart them.\n", seal.EnvVar)
}

// newKeyIDText returns the key ID of a printed new key, or a placeholder.
func newKeyIDText(newKey string) string {
	if newKey == "" {
		return "NEW_KEY_ID"
	}
	key, err := seal.DecodeKey(newKey)
	if err != nil {
		return "NEW_KEY_ID"
	}
	return seal.KeyID(key)
}

// retireOldKeys drops every key but the newest from the key file, or prints
// how to stop using FIELDLINK_MASTER_KEY's old keys, once no stored value
// is sealed under an old key.
func retireOldKeys(ctx context.Context, source keySource, stdout io.Writer) error {
	keys, err := source.keys()
	if err != nil {
		return err
	}
	sealer, err := seal.New(keys...)
	if err != nil {
		return err
	}
	if len(keys) == 1 {
		fmt.Fprintf(stdout, "%s holds one key (key ID %s): there is no old key to retire.\n", source.name(), sealer.KeyID())
		return nil
	}

	db, err := source.openDB(ctx, sealer)
	if err != nil {
		return err
	}
	defer db.Close()
	source.printDatabase(stdout)

	counts, err := db.CountSealedByKeyID(ctx)
	if err != nil {
		return err
	}
	if used := describeOtherKeyIDs(counts, sealer.KeyID()); used != "" {
		return fmt.Errorf("stored values are still sealed under old keys (%s), so they are kept: run `fieldlink keys reseal %s` once every server runs with the new key ID %s, then retire again",
			used, source.flags(), sealer.KeyID())
	}

	old := keyIDList(sealer.KeyIDs()[1:])
	if source.fromEnv() {
		recordCLIAudit(ctx, db, stdout, "keys.retire", sealer.KeyID(), fmt.Sprintf("checked that no stored value uses the old %s, so %s may list key ID %s alone",
			old, seal.EnvVar, sealer.KeyID()))
		fmt.Fprintf(stdout, "No stored value uses the old %s. Set %s to its first key alone (key ID %s) on every server.\n", old, seal.EnvVar, sealer.KeyID())
		return nil
	}

	if err := seal.WriteKeyFile(source.keyFile, keys[:1]); err != nil {
		return err
	}
	recordCLIAudit(ctx, db, stdout, "keys.retire", sealer.KeyID(), fmt.Sprintf("retired the old %s from %s, which now holds key ID %s alone",
		old, source.keyFile, sealer.KeyID()))
	fmt.Fprintf(stdout, "Removed the old %s from %s. It now holds key ID %s only.\n", old, source.keyFile, sealer.KeyID())
	return nil
}

// resealAll re-seals every stored value under the ring's newest key,
// printing the database it opened on w. It records action in the audit log
// with the detail that describe returns for the number of values re-sealed.
func resealAll(ctx context.Context, source keySource, sealer *seal.Sealer, w io.Writer, action string, describe func(count int) string) (int, error) {
	db, err := source.openDB(ctx, sealer)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	source.printDatabase(w)

	if err := checkKeysKnown(ctx, db, sealer, source); err != nil {
		return 0, err
	}
	count, err := db.Reseal(ctx, sealer)
	if err != nil {
		return 0, err
	}
	recordCLIAudit(ctx, db, w, action, sealer.KeyID(), describe(count))
	return count, nil
}

// checkKeysKnown fails when a stored value is sealed under a key that the
// ring lacks, naming the key IDs.
func checkKeysKnown(ctx context.Context, db *store.DB, sealer *seal.Sealer, source keySource) error {
	counts, err := db.CountSealedByKeyID(ctx)
	if err != nil {
		return err
	}

	ring := sealer.KeyIDs()
	unknown := map[string]int{}
	for id, n := range counts {
		if !slices.Contains(ring, id) {
			unknown[id] = n
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return fmt.Errorf("stored values are sealed under keys missing from %s (%s), whose ring has %s, so nothing was changed: add those keys after the newest one and run this again",
		source.name(), describeOtherKeyIDs(unknown, ""), keyIDList(ring))
}

// keyIDList returns "key ID a" or "key IDs a, b".
func keyIDList(ids []string) string {
	if len(ids) == 1 {
		return "key ID " + ids[0]
	}
	return "key IDs " + strings.Join(ids, ", ")
}

// describeOtherKeyIDs lists the key IDs in counts other than except, with
// how many values use each, as "key ID 1a2b3c4d: 3 values", in ID order.
// It returns "" when there is none.
func describeOtherKeyIDs(counts map[string]int, except string) string {
	var parts []string
	for id, n := range counts {
		if id == except {
			continue
		}
		noun := "values"
		if n == 1 {
			noun = "value"
		}
		parts = append(parts, fmt.Sprintf("key ID %s: %d %s", id, n, noun))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
