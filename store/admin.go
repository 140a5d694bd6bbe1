package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// CreateAdmin stores a new admin account. The password hash comes from
// auth.HashPassword.
func (db *DB) CreateAdmin(ctx context.Context, username, passwordHash string) error {
	if username == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "username is missing: choose a name for the admin")
	}
	now := formatTime(db.now())
	_, err := db.db.ExecContext(ctx, `INSERT INTO admins (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		username, passwordHash, now, now)
	if isUniqueViolation(err) {
		return fieldlink.Errorf(fieldlink.EConflict, "an admin named %q already exists: choose another name or set its password with \"fieldlink admin password\"", username)
	}
	if err != nil {
		return fmt.Errorf("create admin %s: %w", username, err)
	}
	return nil
}

// GetAdmin returns the admin with the username, or an ENotFound error.
func (db *DB) GetAdmin(ctx context.Context, username string) (auth.Admin, error) {
	var a auth.Admin
	var created, updated string
	err := db.db.QueryRowContext(ctx, `SELECT username, password_hash, created_at, updated_at FROM admins WHERE username = ?`, username).
		Scan(&a.Username, &a.PasswordHash, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Admin{}, notFound("admin", username)
	}
	if err != nil {
		return auth.Admin{}, fmt.Errorf("get admin %s: %w", username, err)
	}
	return scanAdminTimes(a, created, updated)
}

func scanAdminTimes(a auth.Admin, created, updated string) (auth.Admin, error) {
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return auth.Admin{}, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return auth.Admin{}, err
	}
	return a, nil
}

// ListAdmins returns every admin, by username, without password hashes.
func (db *DB) ListAdmins(ctx context.Context) ([]auth.Admin, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT username, created_at, updated_at FROM admins ORDER BY username `+db.d.binaryCollation)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	defer rows.Close()

	var admins []auth.Admin
	for rows.Next() {
		var a auth.Admin
		var created, updated string
		if err := rows.Scan(&a.Username, &created, &updated); err != nil {
			return nil, fmt.Errorf("list admins: %w", err)
		}
		if a, err = scanAdminTimes(a, created, updated); err != nil {
			return nil, err
		}
		admins = append(admins, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return admins, nil
}

// SetAdminPassword replaces an admin's password hash and ends the admin's
// sessions, so a changed password signs out every browser.
func (db *DB) SetAdminPassword(ctx context.Context, username, passwordHash string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", username, err)
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, `UPDATE admins SET password_hash = ?, updated_at = ? WHERE username = ?`,
		passwordHash, formatTime(db.now()), username)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", username, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("admin", username)
	}

	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE username = ?`, username); err != nil {
		return fmt.Errorf("end sessions of %s: %w", username, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set password of %s: %w", username, err)
	}
	return nil
}

// DeleteAdmin deletes an admin and, through the foreign key, its sessions.
func (db *DB) DeleteAdmin(ctx context.Context, username string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM admins WHERE username = ?`, username)
	if err != nil {
		return fmt.Errorf("delete admin %s: %w", username, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("admin", username)
	}
	return nil
}
