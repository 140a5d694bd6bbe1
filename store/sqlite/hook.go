package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.HookStore = (*DB)(nil)

const hookColumns = `id, name, jira_datasource_id, secret_sealed`

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

	secrets := map[string]string{}
	if row.Secret != "" {
		secrets[hookSecretKey] = row.Secret
	}
	sealed, err := db.sealJSON("hook", row.ID, secrets)
	if err != nil {
		return err
	}

	// An empty JiraDatasourceID is stored as NULL, which the foreign key
	// allows.
	var jiraDatasourceID sql.NullString
	if row.JiraDatasourceID != "" {
		jiraDatasourceID = sql.NullString{String: row.JiraDatasourceID, Valid: true}
	}

	query := `INSERT INTO hooks (` + hookColumns + `) VALUES (?, ?, ?, ?)`
	if _, err := db.db.ExecContext(ctx, query, row.ID, row.Name, jiraDatasourceID, sealed); err != nil {
		if isUniqueViolation(err) {
			return nameTaken("hook", h.Name)
		}
		if isForeignKeyViolation(err) {
			return fieldlink.Errorf(fieldlink.EInvalid, "hook %q: Jira datasource %q not found: choose an existing datasource", h.Name, h.JiraDatasourceID)
		}
		return fmt.Errorf("insert hook %q: %w", h.Name, err)
	}

	*h = row
	return nil
}

// FindHook returns the hook with the ID, with its secret opened, or an
// ENotFound error.
func (db *DB) FindHook(ctx context.Context, id string) (fieldlink.Hook, error) {
	query := `SELECT ` + hookColumns + ` FROM hooks WHERE id = ?`
	h, err := db.scanHook(db.db.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fieldlink.Hook{}, notFound("hook", id)
	}
	if err != nil {
		return fieldlink.Hook{}, fmt.Errorf("find hook %s: %w", id, err)
	}
	return h, nil
}

// ListHooks returns all hooks ordered by name, ignoring case, with their
// secrets opened.
func (db *DB) ListHooks(ctx context.Context) ([]fieldlink.Hook, error) {
	query := `SELECT ` + hookColumns + ` FROM hooks ORDER BY name, id`
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

func (db *DB) scanHook(row scanner) (fieldlink.Hook, error) {
	var (
		h                fieldlink.Hook
		jiraDatasourceID sql.NullString
		sealed           []byte
	)
	if err := row.Scan(&h.ID, &h.Name, &jiraDatasourceID, &sealed); err != nil {
		return fieldlink.Hook{}, err
	}
	h.JiraDatasourceID = jiraDatasourceID.String

	secrets, err := db.openJSON("hook", h.ID, sealed)
	if err != nil {
		return fieldlink.Hook{}, err
	}
	h.Secret = secrets[hookSecretKey]
	return h, nil
}
