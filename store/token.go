package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

const tokenPrefix = "tk"

// CreateToken stores an API token and sets its ID and creation time. The
// name must be unique.
func (db *DB) CreateToken(ctx context.Context, t *auth.Token) error {
	t.ID = newID(tokenPrefix)
	t.CreatedAt = db.now().UTC()
	_, err := db.db.ExecContext(ctx, `INSERT INTO api_tokens (id, name, scope, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Scope, t.Hash, formatTime(t.CreatedAt), t.CreatedBy)
	if isUniqueViolation(err) {
		return nameTaken("API token", t.Name)
	}
	if err != nil {
		return fmt.Errorf("create API token %s: %w", t.Name, err)
	}
	return nil
}

const tokenColumns = `id, name, scope, token_hash, created_at, created_by, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (auth.Token, error) {
	var t auth.Token
	var created, lastUsed string
	if err := row.Scan(&t.ID, &t.Name, &t.Scope, &t.Hash, &created, &t.CreatedBy, &lastUsed); err != nil {
		return auth.Token{}, err
	}

	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return auth.Token{}, err
	}
	if lastUsed != "" {
		if t.LastUsedAt, err = parseTime(lastUsed); err != nil {
			return auth.Token{}, err
		}
	}
	return t, nil
}

// ListTokens returns every API token, by name.
func (db *DB) ListTokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY name `+db.d.binaryCollation)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()

	tokens := []auth.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		tokens = append(tokens, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return tokens, nil
}

// FindTokenByHash returns the API token with the hex SHA-256 hash, or an
// ENotFound error.
func (db *DB) FindTokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	return cachedRead(db.config, "token hash", hash, cloneToken, func() (auth.Token, error) {
		t, err := scanToken(db.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return auth.Token{}, fieldlink.Errorf(fieldlink.ENotFound, "API token not found: it may have been revoked")
		}
		if err != nil {
			return auth.Token{}, fmt.Errorf("find API token: %w", err)
		}
		return t, nil
	})
}

// TouchToken sets the time an API token was last used.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, formatTime(at), id); err != nil {
		return fmt.Errorf("update API token %s: %w", id, err)
	}
	return nil
}

// DeleteToken revokes an API token by ID or name and returns it.
func (db *DB) DeleteToken(ctx context.Context, idOrName string) (auth.Token, error) {
	// The DELETE returns a row, so it commits only once Scan has read it.
	defer db.configChanged()
	t, err := scanToken(db.db.QueryRowContext(ctx, `DELETE FROM api_tokens WHERE id = ? OR name = ? RETURNING `+tokenColumns, idOrName, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Token{}, notFound("API token", idOrName)
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("revoke API token %s: %w", idOrName, err)
	}
	return t, nil
}
