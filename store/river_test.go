package store

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

type processEventArgs struct {
	EventID int64 `json:"eventId"`
}

func (processEventArgs) Kind() string { return "test_process_event" }

func countJobs(t *testing.T, db *DB) int {
	t.Helper()

	var count int
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job`).Scan(&count); err != nil {
		t.Fatalf("count River jobs: %v", err)
	}
	return count
}

// TestRiverJobWithEventInOneTx inserts an event and its River job in one
// transaction, as the webhook intake does, and checks that both commit or
// roll back together.
func TestRiverJobWithEventInOneTx(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()

	client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
	if err != nil {
		t.Fatalf("river.NewClient: %v", err)
	}

	intake := func(deliveryID string, commit bool) {
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("BeginTx: %v", err)
		}
		defer tx.Rollback()

		e := issueCreated(deliveryID)
		if _, err := db.InsertEventTx(ctx, SQLTx(tx), &e); err != nil {
			t.Fatalf("InsertEventTx: %v", err)
		}
		if _, err := client.InsertTx(ctx, tx, processEventArgs{EventID: e.ID}, nil); err != nil {
			t.Fatalf("InsertTx: %v", err)
		}

		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
		}
	}

	intake("delivery-1", true)
	if got := countJobs(t, db); got != 1 {
		t.Errorf("jobs after commit = %d, want 1", got)
	}

	intake("delivery-2", false)
	if got := countJobs(t, db); got != 1 {
		t.Errorf("jobs after rollback = %d, want 1", got)
	}
	if _, err := db.SQL().ExecContext(ctx, `SELECT 1`); err != nil {
		t.Errorf("pool unusable after rollback: %v", err)
	}
}

func TestRiverMigrationsApplied(t *testing.T) {
	db, _ := openTestDB(t)

	var count int
	err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_migration`).Scan(&count)
	if err != nil {
		t.Fatalf("read river_migration: %v", err)
	}
	if count == 0 {
		t.Error("no River migrations recorded")
	}
}
