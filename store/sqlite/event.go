package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.EventStore = (*DB)(nil)

const eventColumns = `id, hook_id, delivery_id, kind, issue_key, payload, received_at, status, outcome`

// InsertEventTx stores e inside tx unless an event with the same HookID and
// DeliveryID exists. inserted reports whether it was new. It sets e.ID and
// e.ReceivedAt: to the new row's, or to the existing event's when the
// delivery is a duplicate. An empty Status is stored as EventPending.
//
// The pool has one connection, so tx must come from SQL().BeginTx and the
// caller must not use the DB outside tx until it commits or rolls back.
func (db *DB) InsertEventTx(ctx context.Context, tx *sql.Tx, e *fieldlink.Event) (inserted bool, err error) {
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
	err = tx.QueryRowContext(ctx, insert, e.HookID, e.DeliveryID, e.Kind, e.IssueKey, payload,
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
	if err := tx.QueryRowContext(ctx, existing, e.HookID, e.DeliveryID).Scan(&e.ID, &existingReceivedAt); err != nil {
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

// ListEvents returns the most recent events first, at most limit of them.
// A limit of zero or less returns none.
func (db *DB) ListEvents(ctx context.Context, limit int) ([]fieldlink.Event, error) {
	if limit <= 0 {
		return nil, nil
	}

	query := `SELECT ` + eventColumns + ` FROM events ORDER BY received_at DESC, id DESC LIMIT ?`
	return queryList(ctx, db.db, "list events", scanEvent, query, limit)
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
