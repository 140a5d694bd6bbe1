package queue

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/triage"
)

// funcJira is a Jira client whose UpdateIssue calls UpdateIssueFunc, on top
// of fakeJira's edit screen and empty issue.
type funcJira struct {
	fakeJira
	UpdateIssueFunc func(ctx context.Context, ds fieldlink.Datasource, key string, u jira.IssueUpdate) error
}

func (f *funcJira) UpdateIssue(ctx context.Context, ds fieldlink.Datasource, key string, u jira.IssueUpdate) error {
	return f.UpdateIssueFunc(ctx, ds, key, u)
}

func TestReplayFailedEvent(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db := openDB(t, database, newKey())
		hook := configure(t, db)

		// The first edit fails for good (Jira rejects the value), every
		// later one succeeds: an admin fixed the field in Jira, then
		// replays.
		var calls atomic.Int32
		editor := &funcJira{UpdateIssueFunc: func(_ context.Context, _ fieldlink.Datasource, key string, _ jira.IssueUpdate) error {
			if calls.Add(1) == 1 {
				return &jira.EditError{IssueKey: key, Status: 400, Messages: []string{"Option id 'null' is not valid"}}
			}
			return nil
		}}
		processor := &triage.Processor{Store: db, Items: fakeItems{}, Jira: editor}
		q, err := New(Options{Store: db, Processor: processor})
		if err != nil {
			t.Fatal(err)
		}
		startQueue(t, q)

		ev := event(hook.ID, "ITH-4")
		if _, err := q.Enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		failed := waitFinished(t, db, ev.ID, 30*time.Second)
		if failed.Status != fieldlink.EventFailed {
			t.Fatalf("status = %q, want failed (outcome %+v)", failed.Status, failed.Outcome)
		}

		if err := q.Replay(context.Background(), ev.ID); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		replayed := waitFinished(t, db, ev.ID, 30*time.Second)
		if replayed.Status != fieldlink.EventProcessed {
			t.Errorf("status after replay = %q, want processed (outcome %+v)", replayed.Status, replayed.Outcome)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("UpdateIssue called %d times, want 2 (the failure and the replay)", n)
		}
	})
}

func TestReplayRejected(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db := openDB(t, database, newKey())
		hook := configure(t, db)

		// The queue is not started, so the enqueued event stays pending.
		q := newQueue(t, db, &fakeJira{})
		ev := event(hook.ID, "ITH-5")
		if _, err := q.Enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			id   int64
			code string
		}{
			{"pending event", ev.ID, fieldlink.EConflict},
			{"unknown event", ev.ID + 100, fieldlink.ENotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := q.Replay(context.Background(), tt.id)
				if got := fieldlink.ErrorCode(err); got != tt.code {
					t.Errorf("Replay error code = %q, want %q (error: %v)", got, tt.code, err)
				}
			})
		}

		if jobs := countJobs(t, db); jobs != 1 {
			t.Errorf("%d River jobs after rejected replays, want 1", jobs)
		}
	})
}
