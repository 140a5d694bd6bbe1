package store

import (
	"context"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

// testTx is a transaction begun the way the job queue begins the intake
// transaction on each database.
type testTx struct {
	Tx
	Commit   func() error
	Rollback func() error
}

// beginTx begins a transaction on the SQL pool for SQLite, adapted by
// SQLTx, or on the pgx pool for PostgreSQL, adapted by PgxTx.
func beginTx(ctx context.Context, db *DB) (testTx, error) {
	if pool := db.Pgx(); pool != nil {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return testTx{}, err
		}
		return testTx{
			Tx:       PgxTx(tx),
			Commit:   func() error { return tx.Commit(ctx) },
			Rollback: func() error { return tx.Rollback(ctx) },
		}, nil
	}

	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return testTx{}, err
	}
	return testTx{Tx: SQLTx(tx), Commit: tx.Commit, Rollback: tx.Rollback}, nil
}

// insertEvent stores e in its own transaction and commits it.
func insertEvent(t *testing.T, db *DB, e *fieldlink.Event) bool {
	t.Helper()
	ctx := context.Background()

	tx, err := beginTx(ctx, db)
	if err != nil {
		t.Fatalf("begin transaction: %v", err)
	}
	defer tx.Rollback()

	inserted, err := db.InsertEventTx(ctx, tx, e)
	if err != nil {
		t.Fatalf("InsertEventTx: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return inserted
}

func issueCreated(deliveryID string) fieldlink.Event {
	return fieldlink.Event{
		HookID:     "hk_intake",
		DeliveryID: deliveryID,
		Kind:       "jira:issue_created",
		IssueKey:   "SD-1",
		Payload:    []byte(`{"webhookEvent":"jira:issue_created"}`),
	}
}

func TestEventInsertAndFind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()

		e := issueCreated("delivery-1")
		if !insertEvent(t, db, &e) {
			t.Fatal("inserted = false for a new delivery")
		}
		if e.ID == 0 {
			t.Error("ID not set")
		}
		if e.ReceivedAt.IsZero() {
			t.Error("ReceivedAt not set")
		}

		want := issueCreated("delivery-1")
		want.ID = e.ID
		want.ReceivedAt = e.ReceivedAt
		want.Status = fieldlink.EventPending

		got, err := db.FindEvent(context.Background(), e.ID)
		if err != nil {
			t.Fatalf("FindEvent: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindEvent (-want +got):\n%s", diff)
		}
	})
}

func TestEventDuplicateDeliveryStoredOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		first := issueCreated("delivery-1")
		if !insertEvent(t, db, &first) {
			t.Fatal("first insert: inserted = false")
		}

		second := issueCreated("delivery-1")
		if insertEvent(t, db, &second) {
			t.Error("second insert: inserted = true for a duplicate delivery")
		}
		if second.ID != first.ID {
			t.Errorf("duplicate ID = %d, want the existing event's %d", second.ID, first.ID)
		}
		if !second.ReceivedAt.Equal(first.ReceivedAt) {
			t.Errorf("duplicate ReceivedAt = %v, want the existing event's %v", second.ReceivedAt, first.ReceivedAt)
		}

		// The same delivery ID on another hook is a different delivery.
		other := issueCreated("delivery-1")
		other.HookID = "hk_other"
		if !insertEvent(t, db, &other) {
			t.Error("same delivery on another hook: inserted = false")
		}

		if count := countRows(t, db, `SELECT COUNT(*) FROM events`); count != 2 {
			t.Errorf("events stored = %d, want 2", count)
		}
	})
}

func TestEventInsertRolledBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		tx, err := beginTx(ctx, db)
		if err != nil {
			t.Fatalf("begin transaction: %v", err)
		}
		e := issueCreated("delivery-1")
		inserted, err := db.InsertEventTx(ctx, tx, &e)
		if err != nil {
			t.Fatalf("InsertEventTx: %v", err)
		}
		if !inserted {
			t.Fatal("inserted = false for a new delivery")
		}
		if err := tx.Rollback(); err != nil {
			t.Fatalf("Rollback: %v", err)
		}

		_, err = db.FindEvent(ctx, e.ID)
		wantError(t, err, fieldlink.ENotFound)

		list, err := db.ListEvents(ctx, 10)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(list) != 0 {
			t.Errorf("ListEvents = %v, want none after rollback", list)
		}

		// After the rollback the delivery is new again.
		retry := issueCreated("delivery-1")
		if !insertEvent(t, db, &retry) {
			t.Error("retry after rollback: inserted = false")
		}
	})
}

func TestEventFinish(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		e := issueCreated("delivery-1")
		insertEvent(t, db, &e)

		outcome := fieldlink.Outcome{
			IssueKey:      "SD-1",
			Reporter:      "ada@example.test",
			Items:         map[string]string{"Reporter office": "Paris", "Manager": ""},
			Rule:          "Paris office",
			FieldsWritten: []string{"customfield_10010"},
		}
		if err := db.FinishEvent(ctx, e.ID, fieldlink.EventProcessed, outcome); err != nil {
			t.Fatalf("FinishEvent: %v", err)
		}

		got, err := db.FindEvent(ctx, e.ID)
		if err != nil {
			t.Fatalf("FindEvent: %v", err)
		}
		if got.Status != fieldlink.EventProcessed {
			t.Errorf("Status = %q, want %q", got.Status, fieldlink.EventProcessed)
		}
		if diff := cmp.Diff(&outcome, got.Outcome); diff != "" {
			t.Errorf("Outcome (-want +got):\n%s", diff)
		}

		err = db.FinishEvent(ctx, 9999, fieldlink.EventFailed, fieldlink.Outcome{Reason: "x"})
		wantError(t, err, fieldlink.ENotFound, `event "9999" not found`)
	})
}

func TestEventListMostRecentFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		for _, id := range []string{"d1", "d2", "d3"} {
			e := issueCreated(id)
			insertEvent(t, db, &e)
		}

		tests := []struct {
			limit int
			want  []string
		}{
			{10, []string{"d3", "d2", "d1"}},
			{2, []string{"d3", "d2"}},
			{0, nil},
		}
		for _, tt := range tests {
			list, err := db.ListEvents(ctx, tt.limit)
			if err != nil {
				t.Fatalf("ListEvents(%d): %v", tt.limit, err)
			}

			var got []string
			for _, e := range list {
				got = append(got, e.DeliveryID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListEvents(%d) deliveries (-want +got):\n%s", tt.limit, diff)
			}
		}
	})
}

func TestEventNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		_, err := db.FindEvent(context.Background(), 42)
		wantError(t, err, fieldlink.ENotFound, `event "42" not found`)
	})
}

func TestEventRoundTripWithOutcome(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		events := []fieldlink.Event{
			{
				HookID:     "hk_intake",
				DeliveryID: "delivery-ü-1",
				Kind:       "jira:issue_updated",
				IssueKey:   "ITH-42",
				// Payloads are bytes: invalid UTF-8 and NUL bytes are kept.
				Payload: []byte("{\"a\":1}\x00\xff\xfe"),
				Status:  fieldlink.EventFailed,
				Outcome: &fieldlink.Outcome{
					IssueKey:          "ITH-42",
					Reporter:          "ada@example.test",
					Items:             map[string]string{"Office": "Paris"},
					Rule:              "Paris",
					Reason:            "Jira rejected the update: 400",
					Rules:             []string{"Paris", "VIP"},
					LabelsAdded:       []string{"paris"},
					Commented:         true,
					ParticipantsAdded: []string{"712020:aaaa"},
					Attempts:          3,
				},
			},
			{HookID: "hk_intake", DeliveryID: "delivery-2", Payload: nil},
		}
		for i := range events {
			if !insertEvent(t, db, &events[i]) {
				t.Fatalf("event %d: inserted = false", i)
			}
		}
		// An empty Status is stored as pending.
		if events[1].Status != fieldlink.EventPending {
			t.Errorf("Status = %q after insert, want pending", events[1].Status)
		}

		for _, want := range events {
			got, err := db.FindEvent(ctx, want.ID)
			if err != nil {
				t.Fatalf("FindEvent %d: %v", want.ID, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FindEvent %d (-want +got):\n%s", want.ID, diff)
			}
		}

		newestFirst := []fieldlink.Event{events[1], events[0]}
		listed, err := db.ListEvents(ctx, 10)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if diff := cmp.Diff(newestFirst, listed); diff != "" {
			t.Errorf("ListEvents (-want +got):\n%s", diff)
		}
		found, err := db.FindEvents(ctx, fieldlink.EventFilter{HookID: "hk_intake"})
		if err != nil {
			t.Fatalf("FindEvents: %v", err)
		}
		if diff := cmp.Diff(newestFirst, found); diff != "" {
			t.Errorf("FindEvents (-want +got):\n%s", diff)
		}
	})
}
