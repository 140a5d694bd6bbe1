package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.HookStore = (*DB)(nil)

const hookColumns = `id, name, jira_datasource_id, secret_sealed, project_keys, rule_set, match_all, events, email_fallback, automation_token_hash`

// hookSecretKey is the key of Hook.Secret in the sealed JSON object.
const hookSecretKey = "secret"

// CreateHook stores h, assigning its ID. The secret is sealed before it is
// written. JiraDatasourceID, when set, must name an existing datasource.
func (db *DB) CreateHook(ctx context.Context, h *fieldlink.Hook) error {
	if err := checkName("hook", h.Name); err != nil {
		return err
	}

	row := *h
	row.ID = newID(hookPrefix)

	values, err := db.hookValues(&row)
	if err != nil {
		return err
	}

	query := `INSERT INTO hooks (` + hookColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := db.db.ExecContext(ctx, query, values...); err != nil {
		return hookWriteError(err, "insert", h)
	}

	*h = row
	return nil
}

// UpdateHook replaces every field of the stored hook with h.ID, the secret
// and the automation token hash included, so a caller that changes only
// settings must start from FindHook.
func (db *DB) UpdateHook(ctx context.Context, h *fieldlink.Hook) error {
	if err := checkName("hook", h.Name); err != nil {
		return err
	}

	values, err := db.hookValues(h)
	if err != nil {
		return err
	}

	// values starts with the ID, which goes last here.
	query := `UPDATE hooks SET name = ?, jira_datasource_id = ?, secret_sealed = ?, project_keys = ?, rule_set = ?,
		match_all = ?, events = ?, email_fallback = ?, automation_token_hash = ? WHERE id = ?`
	args := append(slices.Clone(values[1:]), values[0])
	result, err := db.db.ExecContext(ctx, query, args...)
	if err != nil {
		return hookWriteError(err, "update", h)
	}
	return requireOneRow(result, "hook", h.ID)
}

// FindHook returns the hook with the ID, with its secret opened, or an
// ENotFound error.
func (db *DB) FindHook(ctx context.Context, id string) (fieldlink.Hook, error) {
	return cachedRead(db.config, "hook", id, cloneHook, func() (fieldlink.Hook, error) {
		query := `SELECT ` + hookColumns + ` FROM hooks WHERE id = ?`
		h, err := db.scanHook(db.db.QueryRowContext(ctx, query, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fieldlink.Hook{}, notFound("hook", id)
		}
		if err != nil {
			return fieldlink.Hook{}, fmt.Errorf("find hook %s: %w", id, err)
		}
		return h, nil
	})
}

// ListHooks returns all hooks ordered by name, ignoring the case of ASCII
// letters, with their secrets opened.
func (db *DB) ListHooks(ctx context.Context) ([]fieldlink.Hook, error) {
	query := `SELECT ` + hookColumns + ` FROM hooks ORDER BY ` + db.d.nameOrder + `, id`
	return queryList(ctx, db.db, "list hooks", db.scanHook, query)
}

// DeleteHook removes the hook with the ID. Its events are kept.
func (db *DB) DeleteHook(ctx context.Context, id string) error {
	result, err := db.db.ExecContext(ctx, `DELETE FROM hooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete hook %s: %w", id, err)
	}
	return requireOneRow(result, "hook", id)
}

// hookValues returns the column values of h in hookColumns order, with the
// secret sealed under h.ID.
func (db *DB) hookValues(h *fieldlink.Hook) ([]any, error) {
	secrets := map[string]string{}
	if h.Secret != "" {
		secrets[hookSecretKey] = h.Secret
	}
	sealed, err := db.sealJSON("hook", h.ID, secrets)
	if err != nil {
		return nil, err
	}

	// An empty JiraDatasourceID is stored as NULL, which the foreign key
	// allows.
	var jiraDatasourceID sql.NullString
	if h.JiraDatasourceID != "" {
		jiraDatasourceID = sql.NullString{String: h.JiraDatasourceID, Valid: true}
	}

	projectKeys, err := marshalList(h.ProjectKeys)
	if err != nil {
		return nil, fmt.Errorf("encode hook %q project keys: %w", h.Name, err)
	}
	events, err := marshalList(h.Events)
	if err != nil {
		return nil, fmt.Errorf("encode hook %q events: %w", h.Name, err)
	}
	return []any{h.ID, h.Name, jiraDatasourceID, sealed, projectKeys, h.RuleSet, h.MatchAll, events, h.EmailFallback, h.AutomationTokenHash}, nil
}

// hookWriteError turns a failed INSERT or UPDATE of h into the error an
// admin reads.
func hookWriteError(err error, operation string, h *fieldlink.Hook) error {
	if isUniqueViolation(err) {
		return nameTaken("hook", h.Name)
	}
	if isForeignKeyViolation(err) {
		return fieldlink.Errorf(fieldlink.EInvalid, "hook %q: Jira datasource %q not found: choose an existing datasource", h.Name, h.JiraDatasourceID)
	}
	return fmt.Errorf("%s hook %q: %w", operation, h.Name, err)
}

func (db *DB) scanHook(row scanner) (fieldlink.Hook, error) {
	var (
		h                   fieldlink.Hook
		jiraDatasourceID    sql.NullString
		sealed              []byte
		projectKeys, events string
	)
	err := row.Scan(&h.ID, &h.Name, &jiraDatasourceID, &sealed, &projectKeys, &h.RuleSet, &h.MatchAll, &events, &h.EmailFallback, &h.AutomationTokenHash)
	if err != nil {
		return fieldlink.Hook{}, err
	}
	h.JiraDatasourceID = jiraDatasourceID.String

	if h.ProjectKeys, err = unmarshalList(projectKeys); err != nil {
		return fieldlink.Hook{}, fmt.Errorf("decode hook %s project keys: %w", h.ID, err)
	}
	if h.Events, err = unmarshalList(events); err != nil {
		return fieldlink.Hook{}, fmt.Errorf("decode hook %s events: %w", h.ID, err)
	}

	secrets, err := db.openJSON("hook", h.ID, sealed)
	if err != nil {
		return fieldlink.Hook{}, err
	}
	h.Secret = secrets[hookSecretKey]
	return h, nil
}
