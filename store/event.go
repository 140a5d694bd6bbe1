package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.EventStore = (*DB)(nil)

const eventColumns = `id, hook_id, delivery_id, kind, issue_key, payload, received_at, status, outcome`

// InsertEventTx stores e inside tx unless an event with the same HookID and
// DeliveryID exists. inserted reports whether it was new. It sets e.ID and
// e.ReceivedAt: to the new row's, or to the existing event's when the
// delivery is a duplicate. An empty Status is stored as EventPending.
//
// On SQLite the pool has one connection, so tx must come from
// SQL().BeginTx and the caller must not use the DB outside tx until it
// commits or rolls back.
func (db *DB) InsertEventTx(ctx context.Context, tx Tx, e *fieldlink.Event) (inserted bool, err error) {
	status := e.Status
	if status == "" {
		status = fieldlink.EventPending
	}

	outcome, err := outcomeValue(e.Outcome)
	if err != nil {
		return false, fmt.Errorf("insert event for hook %s delivery %s: %w", e.HookID, e.DeliveryID, err)
	}

	// payload is NOT NULL, and a nil slice would be written as NULL.
	payload := e.Payload
	if payload == nil {
		payload = []byte{}
	}

	receivedAt := db.now().UTC()
	const insert = `INSERT INTO events (hook_id, delivery_id, kind, issue_key, payload, received_at, status, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hook_id, delivery_id) DO NOTHING
		RETURNING id`
	var id int64
	err = tx.QueryRow(ctx, db.d.rebind(insert), e.HookID, e.DeliveryID, e.Kind, e.IssueKey, payload,
		formatTime(receivedAt), string(status), outcome).Scan(&id)
	if err == nil {
		e.ID = id
		e.ReceivedAt = receivedAt
		e.Status = status
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("insert event for hook %s delivery %s: %w", e.HookID, e.DeliveryID, err)
	}

	// No row returned: the delivery is already stored.
	var existingReceivedAt string
	const existing = `SELECT id, received_at FROM events WHERE hook_id = ? AND delivery_id = ?`
	if err := tx.QueryRow(ctx, db.d.rebind(existing), e.HookID, e.DeliveryID).Scan(&e.ID, &existingReceivedAt); err != nil {
		return false, fmt.Errorf("find duplicate event for hook %s delivery %s: %w", e.HookID, e.DeliveryID, err)
	}
	if e.ReceivedAt, err = parseTime(existingReceivedAt); err != nil {
		return false, err
	}
	return false, nil
}

// FindEvent returns the event with the ID, or an ENotFound error.
func (db *DB) FindEvent(ctx context.Context, id int64) (fieldlink.Event, error) {
	query := `SELECT ` + eventColumns + ` FROM events WHERE id = ?`
	e, err := scanEvent(db.db.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fieldlink.Event{}, notFound("event", fmt.Sprint(id))
	}
	if err != nil {
		return fieldlink.Event{}, fmt.Errorf("find event %d: %w", id, err)
	}
	return e, nil
}

// DefaultEventLimit is how many events FindEvents returns when the filter
// sets no limit.
const DefaultEventLimit = 100

// ListEvents returns the most recent events first, at most limit of them.
// A limit of zero or less returns none.
func (db *DB) ListEvents(ctx context.Context, limit int) ([]fieldlink.Event, error) {
	if limit <= 0 {
		return nil, nil
	}

	query := `SELECT ` + eventColumns + ` FROM events ORDER BY received_at DESC, id DESC LIMIT ?`
	return queryList(ctx, db.db, "list events", scanEvent, query, limit)
}

// FindEvents returns the events that match f, newest (highest ID) first,
// at most f.Limit of them, or DefaultEventLimit when f.Limit is zero or
// less. Events are ordered by ID, not by received_at, so that BeforeID
// pages through them without gaps or repeats.
func (db *DB) FindEvents(ctx context.Context, f fieldlink.EventFilter) ([]fieldlink.Event, error) {
	var (
		where []string
		args  []any
	)
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.IssueKey != "" {
		where = append(where, "issue_key = ?")
		args = append(args, f.IssueKey)
	}
	if f.HookID != "" {
		where = append(where, "hook_id = ?")
		args = append(args, f.HookID)
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}

	limit := f.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	args = append(args, limit)

	query := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	return queryList(ctx, db.db, "find events", scanEvent, query, args...)
}

// ReplayEventTx sets a finished event back to pending inside tx, so that
// the caller can enqueue its job in the same transaction. It fails with
// ENotFound for an unknown event and with EConflict for one still pending.
// The previous outcome stays until processing records a new one.
//
// On SQLite the pool has one connection, so tx must come from
// SQL().BeginTx and the caller must not use the DB outside tx until it
// commits or rolls back.
func (db *DB) ReplayEventTx(ctx context.Context, tx Tx, id int64) error {
	var status string
	err := tx.QueryRow(ctx, db.d.rebind(`SELECT status FROM events WHERE id = ?`), id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("event", fmt.Sprint(id))
	}
	if err != nil {
		return fmt.Errorf("find event %d: %w", id, err)
	}
	if fieldlink.EventStatus(status) == fieldlink.EventPending {
		return fieldlink.Errorf(fieldlink.EConflict, "event %d is still pending: wait until it is processed or failed, then replay it", id)
	}

	const update = `UPDATE events SET status = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, db.d.rebind(update), string(fieldlink.EventPending), id); err != nil {
		return fmt.Errorf("set event %d pending: %w", id, err)
	}
	return nil
}

// FinishEvent records the event's final status and outcome.
func (db *DB) FinishEvent(ctx context.Context, id int64, status fieldlink.EventStatus, outcome fieldlink.Outcome) error {
	value, err := outcomeValue(&outcome)
	if err != nil {
		return fmt.Errorf("finish event %d: %w", id, err)
	}

	result, err := db.db.ExecContext(ctx, `UPDATE events SET status = ?, outcome = ? WHERE id = ?`, string(status), value, id)
	if err != nil {
		return fmt.Errorf("finish event %d: %w", id, err)
	}
	return requireOneRow(result, "event", fmt.Sprint(id))
}

// outcomeValue returns the outcome column value: JSON, or NULL for nil.
func outcomeValue(o *fieldlink.Outcome) (sql.NullString, error) {
	if o == nil {
		return sql.NullString{}, nil
	}

	text, err := marshalJSON(o)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encode outcome: %w", err)
	}
	return sql.NullString{String: text, Valid: true}, nil
}

func scanEvent(row scanner) (fieldlink.Event, error) {
	var (
		e          fieldlink.Event
		status     string
		receivedAt string
		outcome    sql.NullString
	)
	err := row.Scan(&e.ID, &e.HookID, &e.DeliveryID, &e.Kind, &e.IssueKey, &e.Payload, &receivedAt, &status, &outcome)
	if err != nil {
		return fieldlink.Event{}, err
	}
	e.Status = fieldlink.EventStatus(status)
	e.Payload = nilIfEmptySlice(e.Payload)

	if e.ReceivedAt, err = parseTime(receivedAt); err != nil {
		return fieldlink.Event{}, err
	}

	if outcome.Valid {
		e.Outcome = &fieldlink.Outcome{}
		if err := json.Unmarshal([]byte(outcome.String), e.Outcome); err != nil {
			return fieldlink.Event{}, fmt.Errorf("decode event %d outcome: %w", e.ID, err)
		}
	}
	return e, nil
}
