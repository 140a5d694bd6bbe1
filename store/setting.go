package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetSetting returns the value stored under key. ok is false when there is
// none. Settings are stored in clear text, so store a hash of a secret,
// never the secret.
func (db *DB) GetSetting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting stores value under key, replacing any earlier value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	const upsert = `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	if _, err := db.db.ExecContext(ctx, upsert, key, value); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// AddSetting stores value under key unless key already has a value. It
// returns the value that key holds afterwards and whether it is value, so
// that replicas starting at once agree on one of theirs.
func (db *DB) AddSetting(ctx context.Context, key, value string) (stored string, added bool, err error) {
	const insert = `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	result, err := db.db.ExecContext(ctx, insert, key, value)
	if err != nil {
		return "", false, fmt.Errorf("add setting %s: %w", key, err)
	}
	if n, _ := result.RowsAffected(); n == 1 {
		return value, true, nil
	}

	stored, ok, err := db.GetSetting(ctx, key)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, fmt.Errorf("add setting %s: it was removed while being added: try again", key)
	}
	return stored, false, nil
}
