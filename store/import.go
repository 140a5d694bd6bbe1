package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// Configuration is the input of ImportConfiguration: records with the IDs
// they had in the installation they come from, and secrets in clear text.
type Configuration struct {
	Datasources []fieldlink.Datasource
	Items       []fieldlink.Item
	Rules       []fieldlink.Rule
	Hooks       []fieldlink.Hook

	// Admins carry their password hashes.
	Admins []auth.Admin

	// Tokens carry their hashes.
	Tokens []auth.Token
}

// ImportOptions configure ImportConfiguration.
type ImportOptions struct {
	// Replace deletes the records that the import collides with, in the
	// import's transaction, instead of failing with an
	// *ImportConflictError: every datasource, item, rule and hook of the
	// database, and the admins and API tokens with a username, ID, name or
	// hash of the configuration's.
	Replace bool
}

// ImportResult reports what ImportConfiguration did besides writing the
// configuration.
type ImportResult struct {
	// Replaced lists the records that Replace deleted, in the order of
	// ImportConflictError.Conflicts.
	Replaced []ImportConflict
}

// ImportConflict is a record of the database that an import collides with.
type ImportConflict struct {
	// Kind is "datasource", "item", "rule", "hook", "admin" or "API token".
	Kind string
	ID   string
	Name string

	// Reason names what the record shares with the configuration, such as
	// "same ID", "same name", "same ID and name", "same username" or "same
	// hash". It is ReasonNotInConfiguration for a datasource, item, rule or
	// hook that is in the way only because the database must contain none.
	Reason string
}

// ReasonNotInConfiguration is the Reason of a conflict with a datasource,
// item, rule or hook that shares nothing with the configuration.
const ReasonNotInConfiguration = "not in the document"

// sameReason returns "same A", "same A and B" or "same A, B and C" for the
// shared attributes, or "" for none.
func sameReason(shared []string) string {
	switch len(shared) {
	case 0:
		return ""
	case 1:
		return "same " + shared[0]
	}
	return "same " + strings.Join(shared[:len(shared)-1], ", ") + " and " + shared[len(shared)-1]
}

// ImportConflictError reports that the database holds records that an
// import without Replace would collide with. Nothing was written.
type ImportConflictError struct {
	Conflicts []ImportConflict
}

// maxListedConflicts bounds how many conflicts the error message names.
const maxListedConflicts = 10

// String returns the conflict as `datasource "Jira" (ds_1, same ID)`, or as
// `admin "ana" (same username)` when the ID is the name.
func (c ImportConflict) String() string {
	if c.ID == "" || c.ID == c.Name {
		return fmt.Sprintf("%s %q (%s)", c.Kind, c.Name, c.Reason)
	}
	return fmt.Sprintf("%s %q (%s, %s)", c.Kind, c.Name, c.ID, c.Reason)
}

func (e *ImportConflictError) Error() string {
	var parts []string
	for i, c := range e.Conflicts {
		if i == maxListedConflicts {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Conflicts)-i))
			break
		}
		parts = append(parts, c.String())
	}
	return "the target database already holds records that the import collides with: " + strings.Join(parts, ", ")
}

// ImportConfiguration writes c into the database in one transaction,
// keeping every record's ID, so hook URLs and item lookup URLs stay valid.
// The secrets are sealed under the database's sealer. Datasource times are
// kept, or set to now when zero, and datasource health starts empty.
//
// The database must contain no datasource, item, rule or hook, and no admin
// or API token with a username, ID, name or hash of c's. Otherwise it fails
// with an *ImportConflictError, unless opts.Replace is set. Its master key
// check must open with the database's sealer, so that servers on the
// database can open the imported secrets. A missing check is added.
// On any failure nothing is written.
func (db *DB) ImportConfiguration(ctx context.Context, c Configuration, opts ImportOptions) (ImportResult, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	defer tx.Rollback()

	if err := db.checkImportMasterKey(ctx, tx); err != nil {
		return ImportResult{}, err
	}

	conflicts, err := findImportConflicts(ctx, tx, c)
	if err != nil {
		return ImportResult{}, err
	}
	var result ImportResult
	if len(conflicts) > 0 {
		if !opts.Replace {
			return ImportResult{}, &ImportConflictError{Conflicts: conflicts}
		}
		if err := deleteImportConflicts(ctx, tx, conflicts); err != nil {
			return ImportResult{}, err
		}
		result.Replaced = conflicts
	}

	// Datasources go first, because items and hooks refer to them.
	if err := db.insertImportedConfiguration(ctx, tx, c); err != nil {
		return ImportResult{}, err
	}
	if err := db.insertImportedAccounts(ctx, tx, c); err != nil {
		return ImportResult{}, err
	}

	if err := tx.Commit(); err != nil {
		return ImportResult{}, fmt.Errorf("import: commit: %w", err)
	}
	return result, nil
}

// checkImportMasterKey opens the database's master key check with the
// database's sealer, or adds a check sealed with it when there is none, so
// a server started later with another key fails at start instead of on the
// first imported secret.
func (db *DB) checkImportMasterKey(ctx context.Context, tx *txn) error {
	aad := []byte("setting:" + MasterKeyCheckSetting)
	blob, ok, err := readSealedSetting(ctx, tx, MasterKeyCheckSetting)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}

	if ok {
		if _, err := db.sealer.Open(blob, aad); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "the master key ring (key IDs %s) does not open the target database's master key check, so its servers use another master key and could not open the imported secrets: use the master key of the target's servers (%v)",
				strings.Join(db.sealer.KeyIDs(), ", "), err)
		}
		return nil
	}

	sealed, err := db.sealer.Seal([]byte("fieldlink"), aad)
	if err != nil {
		return fmt.Errorf("import: seal the master key check: %w", err)
	}
	const insert = `INSERT INTO settings (key, value) VALUES (?, ?)`
	if _, err := tx.ExecContext(ctx, insert, MasterKeyCheckSetting, base64.StdEncoding.EncodeToString(sealed)); err != nil {
		return fmt.Errorf("import: store the master key check: %w", err)
	}
	return nil
}

// HasMasterKeyCheck reports whether the database holds a master key check,
// which the first server or import sealed under the master key of the
// database's servers. An import that would create a new master key must
// not write into such a database, because its servers could not open
// what it seals.
func (db *DB) HasMasterKeyCheck(ctx context.Context) (bool, error) {
	_, ok, err := readSealedSetting(ctx, db.db, MasterKeyCheckSetting)
	if err != nil {
		return false, fmt.Errorf("database %s: %w", db.name, err)
	}
	return ok, nil
}

// findImportConflicts returns every datasource, item, rule and hook of the
// database, and its admins and API tokens that share a username, ID, name
// or hash with c's.
func findImportConflicts(ctx context.Context, tx *txn, c Configuration) ([]ImportConflict, error) {
	ids, names := map[string]bool{}, map[string]bool{}
	mark := func(kind, id, name string) {
		ids[kind+":"+id] = true
		names[kind+":"+asciiLower(name)] = true
	}
	for _, ds := range c.Datasources {
		mark("datasource", ds.ID, ds.Name)
	}
	for _, it := range c.Items {
		mark("item", it.ID, it.Name)
	}
	for _, r := range c.Rules {
		// Rule names need not be unique, so only the ID counts.
		mark("rule", r.ID, "")
	}
	for _, h := range c.Hooks {
		mark("hook", h.ID, h.Name)
	}

	const query = `
		SELECT 'datasource', id, name FROM datasources
		UNION ALL SELECT 'item', id, name FROM items
		UNION ALL SELECT 'rule', id, name FROM rules
		UNION ALL SELECT 'hook', id, name FROM hooks`
	conflicts, err := scanImportConflicts(ctx, tx, query, func(kind, id, name string) (string, bool) {
		var shared []string
		if ids[kind+":"+id] {
			shared = append(shared, "ID")
		}
		if kind != "rule" && names[kind+":"+asciiLower(name)] {
			shared = append(shared, "name")
		}
		if len(shared) == 0 {
			return ReasonNotInConfiguration, true
		}
		return sameReason(shared), true
	})
	if err != nil {
		return nil, err
	}
	kindOrder := map[string]int{"datasource": 0, "item": 1, "rule": 2, "hook": 3}
	slices.SortFunc(conflicts, func(a, b ImportConflict) int {
		return cmp.Or(cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]),
			cmp.Compare(asciiLower(a.Name), asciiLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})

	usernames := map[string]bool{}
	for _, a := range c.Admins {
		usernames[a.Username] = true
	}
	admins, err := scanImportConflicts(ctx, tx, `SELECT 'admin', username, username FROM admins`, func(_, username, _ string) (string, bool) {
		return "same username", usernames[username]
	})
	if err != nil {
		return nil, err
	}

	tokenIDs, tokenNames, tokenHashes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, t := range c.Tokens {
		tokenIDs[t.ID], tokenNames[t.Name], tokenHashes[t.Hash] = true, true, true
	}
	var tokens []ImportConflict
	rows, err := tx.QueryContext(ctx, `SELECT id, name, token_hash FROM api_tokens`)
	if err != nil {
		return nil, fmt.Errorf("import: read the API tokens: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, hash string
		if err := rows.Scan(&id, &name, &hash); err != nil {
			return nil, fmt.Errorf("import: read the API tokens: %w", err)
		}
		var shared []string
		for _, match := range []struct {
			attribute string
			found     bool
		}{{"ID", tokenIDs[id]}, {"name", tokenNames[name]}, {"hash", tokenHashes[hash]}} {
			if match.found {
				shared = append(shared, match.attribute)
			}
		}
		if len(shared) > 0 {
			tokens = append(tokens, ImportConflict{Kind: "API token", ID: id, Name: name, Reason: sameReason(shared)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import: read the API tokens: %w", err)
	}

	return append(append(conflicts, admins...), tokens...), nil
}

// scanImportConflicts runs query, which returns kind, ID and name, and keeps
// the rows for which classify reports true, with the reason it returns.
func scanImportConflicts(ctx context.Context, tx *txn, query string, classify func(kind, id, name string) (string, bool)) ([]ImportConflict, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("import: read the target's records: %w", err)
	}
	defer rows.Close()

	var conflicts []ImportConflict
	for rows.Next() {
		var c ImportConflict
		if err := rows.Scan(&c.Kind, &c.ID, &c.Name); err != nil {
			return nil, fmt.Errorf("import: read the target's records: %w", err)
		}
		reason, ok := classify(c.Kind, c.ID, c.Name)
		if !ok {
			continue
		}
		c.Reason = reason
		conflicts = append(conflicts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import: read the target's records: %w", err)
	}
	return conflicts, nil
}

// deleteImportConflicts deletes the conflicting records, hooks and items
// before the datasources they use. The datasources' health rows and the
// admins' sessions go with them.
func deleteImportConflicts(ctx context.Context, tx *txn, conflicts []ImportConflict) error {
	statements := map[string]string{
		"hook":       `DELETE FROM hooks WHERE id = ?`,
		"rule":       `DELETE FROM rules WHERE id = ?`,
		"item":       `DELETE FROM items WHERE id = ?`,
		"datasource": `DELETE FROM datasources WHERE id = ?`,
		"admin":      `DELETE FROM admins WHERE username = ?`,
		"API token":  `DELETE FROM api_tokens WHERE id = ?`,
	}

	for _, kind := range []string{"hook", "rule", "item", "datasource", "admin", "API token"} {
		for _, c := range conflicts {
			if c.Kind != kind {
				continue
			}
			if _, err := tx.ExecContext(ctx, statements[kind], c.ID); err != nil {
				return fmt.Errorf("import: delete %s %q (%s) to replace it: %w", c.Kind, c.Name, c.ID, err)
			}
		}
	}
	return nil
}

// insertImportedConfiguration inserts the datasources, items, rules and
// hooks of c with their IDs.
func (db *DB) insertImportedConfiguration(ctx context.Context, tx *txn, c Configuration) error {
	now := db.now().UTC()
	for _, ds := range c.Datasources {
		if err := checkImportedRecord("datasource", ds.ID, ds.Name, true); err != nil {
			return err
		}
		row := ds
		row.Health = fieldlink.DatasourceHealth{}
		if row.CreatedAt.IsZero() {
			row.CreatedAt = now
		}
		if row.UpdatedAt.IsZero() {
			row.UpdatedAt = row.CreatedAt
		}
		values, err := db.datasourceValues(&row)
		if err != nil {
			return err
		}
		query := `INSERT INTO datasources (` + datasourceColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, values...); err != nil {
			return importWriteError(err, "datasource", ds.ID, ds.Name)
		}
	}

	for _, it := range c.Items {
		if err := checkImportedRecord("item", it.ID, it.Name, true); err != nil {
			return err
		}
		values, err := itemValues(&it)
		if err != nil {
			return err
		}
		query := `INSERT INTO items (` + itemColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, values...); err != nil {
			return importWriteError(err, "item", it.ID, it.Name)
		}
	}

	for _, r := range c.Rules {
		if err := checkImportedRecord("rule", r.ID, r.Name, false); err != nil {
			return err
		}
		values, err := ruleValues(&r)
		if err != nil {
			return err
		}
		query := `INSERT INTO rules (` + ruleColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, values...); err != nil {
			return importWriteError(err, "rule", r.ID, r.Name)
		}
	}

	for _, h := range c.Hooks {
		if err := checkImportedRecord("hook", h.ID, h.Name, true); err != nil {
			return err
		}
		values, err := db.hookValues(&h)
		if err != nil {
			return err
		}
		query := `INSERT INTO hooks (` + hookColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, values...); err != nil {
			return importWriteError(err, "hook", h.ID, h.Name)
		}
	}
	return nil
}

// insertImportedAccounts inserts the admins and API tokens of c with their
// hashes and times.
func (db *DB) insertImportedAccounts(ctx context.Context, tx *txn, c Configuration) error {
	now := db.now().UTC()
	orNow := func(t time.Time) time.Time {
		if t.IsZero() {
			return now
		}
		return t
	}

	for _, a := range c.Admins {
		if strings.TrimSpace(a.Username) == "" || a.PasswordHash == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "import admin %q: the username or the password hash is missing", a.Username)
		}
		const query = `INSERT INTO admins (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, a.Username, a.PasswordHash, formatTime(orNow(a.CreatedAt)), formatTime(orNow(a.UpdatedAt))); err != nil {
			return importWriteError(err, "admin", a.Username, a.Username)
		}
	}

	for _, t := range c.Tokens {
		if err := checkImportedRecord("API token", t.ID, t.Name, true); err != nil {
			return err
		}
		if t.Hash == "" || !auth.ValidScope(t.Scope) {
			return fieldlink.Errorf(fieldlink.EInvalid, "import API token %q (%s): the hash is missing or the scope %q is not %q or %q", t.Name, t.ID, t.Scope, auth.ScopeReadOnly, auth.ScopeAdmin)
		}
		lastUsed := ""
		if !t.LastUsedAt.IsZero() {
			lastUsed = formatTime(t.LastUsedAt)
		}
		const query = `INSERT INTO api_tokens (id, name, scope, token_hash, created_at, created_by, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, query, t.ID, t.Name, t.Scope, t.Hash, formatTime(orNow(t.CreatedAt)), t.CreatedBy, lastUsed); err != nil {
			return importWriteError(err, "API token", t.ID, t.Name)
		}
	}
	return nil
}

// checkImportedRecord rejects a record without an ID, or without a name
// when the kind needs one.
func checkImportedRecord(kind, id, name string, needsName bool) error {
	if id == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "import %s %q: the ID is missing", kind, name)
	}
	if needsName && strings.TrimSpace(name) == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "import %s %s: the name is missing", kind, id)
	}
	return nil
}

// importWriteError turns a failed INSERT of an imported record into the
// error an admin reads. The database held nothing in the way when the
// import began, so a duplicate comes from the configuration itself, or from
// a writer that added a record meanwhile.
func importWriteError(err error, kind, id, name string) error {
	if isUniqueViolation(err) {
		return fieldlink.Errorf(fieldlink.EConflict, "import %s %q (%s): another %s of the document, or one added to the target meanwhile, has the same ID or name: give each %s its own", kind, name, id, kind, kind)
	}
	if isForeignKeyViolation(err) {
		return fieldlink.Errorf(fieldlink.EInvalid, "import %s %q (%s): it refers to a datasource that the document does not contain", kind, name, id)
	}
	return fmt.Errorf("import %s %q (%s): %w", kind, name, id, err)
}

// asciiLower folds the ASCII letters A to Z of name only, as the databases
// do when they compare names for uniqueness.
func asciiLower(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, name)
}
