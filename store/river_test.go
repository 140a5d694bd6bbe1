package store

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

type processEventArgs struct {
	EventID int64 `json:"eventId"`
}

func (processEventArgs) Kind() string { return "test_process_event" }

// insertJobFunc inserts a job for the event inside tx, with the River
// client of the database's driver.
type insertJobFunc func(ctx context.Context, tx testTx, eventID int64) error

// newRiverInserter returns an insertJobFunc that uses River's driver for
// the database: riversqlite on the SQL pool, or riverpgxv5 on the pgx pool,
// as the job queue does.
func newRiverInserter(t *testing.T, db *DB) insertJobFunc {
	t.Helper()

	if pool := db.Pgx(); pool != nil {
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			t.Fatalf("river.NewClient: %v", err)
		}
		return func(ctx context.Context, tx testTx, eventID int64) error {
			_, err := client.InsertTx(ctx, tx.Tx.(pgxTx).tx, processEventArgs{EventID: eventID}, nil)
			return err
		}
	}

	client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
	if err != nil {
		t.Fatalf("river.NewClient: %v", err)
	}
	return func(ctx context.Context, tx testTx, eventID int64) error {
		_, err := client.InsertTx(ctx, tx.Tx.(sqlTx).tx, processEventArgs{EventID: eventID}, nil)
		return err
	}
}

// TestRiverJobWithEventInOneTx inserts an event and its River job in one
// transaction, as the webhook intake does, and checks that both commit or
// roll back together.
func TestRiverJobWithEventInOneTx(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		insertJob := newRiverInserter(t, db)

		intake := func(deliveryID string, commit bool) {
			tx, err := beginTx(ctx, db)
			if err != nil {
				t.Fatalf("begin transaction: %v", err)
			}
			defer tx.Rollback()

			e := issueCreated(deliveryID)
			if _, err := db.InsertEventTx(ctx, tx, &e); err != nil {
				t.Fatalf("InsertEventTx: %v", err)
			}
			if err := insertJob(ctx, tx, e.ID); err != nil {
				t.Fatalf("InsertTx: %v", err)
			}

			if commit {
				if err := tx.Commit(); err != nil {
					t.Fatalf("Commit: %v", err)
				}
			}
		}

		intake("delivery-1", true)
		if got := countRows(t, db, `SELECT COUNT(*) FROM river_job`); got != 1 {
			t.Errorf("jobs after commit = %d, want 1", got)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM events`); got != 1 {
			t.Errorf("events after commit = %d, want 1", got)
		}

		intake("delivery-2", false)
		if got := countRows(t, db, `SELECT COUNT(*) FROM river_job`); got != 1 {
			t.Errorf("jobs after rollback = %d, want 1", got)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM events`); got != 1 {
			t.Errorf("events after rollback = %d, want 1", got)
		}
		if _, err := db.db.ExecContext(ctx, `SELECT 1`); err != nil {
			t.Errorf("pool unusable after rollback: %v", err)
		}
	})
}

func TestRiverMigrationsApplied(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		if count := countRows(t, db, `SELECT COUNT(*) FROM river_migration`); count == 0 {
			t.Error("no River migrations recorded")
		}
	})
}
