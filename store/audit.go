package store

import (
	"context"
	"fmt"

	"github.com/fieldlink/fieldlink/auth"
)

// RecordAudit appends an entry to the audit log. A zero At is the current
// time.
func (db *DB) RecordAudit(ctx context.Context, e auth.AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		formatTime(e.At), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("record audit entry %s by %s: %w", e.Action, e.Actor, err)
	}
	return nil
}

// ListAudit returns up to limit audit entries, newest first. A limit of
// zero or less returns none.
func (db *DB) ListAudit(ctx context.Context, limit int) ([]auth.AuditEntry, error) {
	// SQLite reads a negative LIMIT as no limit, and PostgreSQL rejects it.
	if limit <= 0 {
		return []auth.AuditEntry{}, nil
	}

	rows, err := db.db.QueryContext(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()

	entries := []auth.AuditEntry{}
	for rows.Next() {
		var e auth.AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return entries, nil
}
