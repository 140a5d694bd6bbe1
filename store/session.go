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

// CreateSession stores a sign-in session.
func (db *DB) CreateSession(ctx context.Context, s auth.Session) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.IDHash, s.Username, formatTime(s.CreatedAt), formatTime(s.LastSeenAt), formatTime(s.ExpiresAt))
	if isForeignKeyViolation(err) {
		return notFound("admin", s.Username)
	}
	if err != nil {
		return fmt.Errorf("create session for %s: %w", s.Username, err)
	}
	return nil
}

// GetSession returns the session whose ID has the hex SHA-256 idHash, or an
// ENotFound error.
func (db *DB) GetSession(ctx context.Context, idHash string) (auth.Session, error) {
	s := auth.Session{IDHash: idHash}
	var created, lastSeen, expires string
	err := db.db.QueryRowContext(ctx, `SELECT username, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&s.Username, &created, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Session{}, fieldlink.Errorf(fieldlink.ENotFound, "session not found: sign in again")
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("get session: %w", err)
	}

	for _, f := range []struct {
		text string
		dst  *time.Time
	}{{created, &s.CreatedAt}, {lastSeen, &s.LastSeenAt}, {expires, &s.ExpiresAt}} {
		if *f.dst, err = parseTime(f.text); err != nil {
			return auth.Session{}, fmt.Errorf("get session: %w", err)
		}
	}
	return s, nil
}

// TouchSession sets the time a session was last used.
func (db *DB) TouchSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, formatTime(lastSeen), idHash); err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

// DeleteSession deletes a session. Deleting a missing session is not an
// error.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
