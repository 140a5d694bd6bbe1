package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

// storeEvents inserts events for the filter tests and finishes them with
// the given statuses, returning their IDs in insertion order.
func storeEvents(t *testing.T, db *DB, specs []fieldlink.Event) []int64 {
	t.Helper()
	ctx := context.Background()

	var ids []int64
	for i, spec := range specs {
		e := spec
		e.DeliveryID = fmt.Sprintf("delivery-%d", i)
		e.Payload = []byte(`{}`)
		e.Status = fieldlink.EventPending
		insertEvent(t, db, &e)
		if spec.Status != "" && spec.Status != fieldlink.EventPending {
			if err := db.FinishEvent(ctx, e.ID, spec.Status, fieldlink.Outcome{IssueKey: spec.IssueKey}); err != nil {
				t.Fatalf("FinishEvent: %v", err)
			}
		}
		ids = append(ids, e.ID)
	}
	return ids
}

func TestEventFindFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ids := storeEvents(t, db, []fieldlink.Event{
			{HookID: "hk_a", IssueKey: "ITH-1", Status: fieldlink.EventFailed},
			{HookID: "hk_a", IssueKey: "ITH-2", Status: fieldlink.EventProcessed},
			{HookID: "hk_b", IssueKey: "ITH-1", Status: fieldlink.EventProcessed},
			{HookID: "hk_b", IssueKey: "HR-7", Status: fieldlink.EventFailed},
			{HookID: "hk_a", IssueKey: "ITH-1", Status: fieldlink.EventPending},
		})

		tests := []struct {
			name   string
			filter fieldlink.EventFilter
			want   []int64
		}{
			{"no filter newest first", fieldlink.EventFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"failed", fieldlink.EventFilter{Status: fieldlink.EventFailed}, []int64{ids[3], ids[0]}},
			{"issue", fieldlink.EventFilter{IssueKey: "ITH-1"}, []int64{ids[4], ids[2], ids[0]}},
			{"hook", fieldlink.EventFilter{HookID: "hk_b"}, []int64{ids[3], ids[2]}},
			{"issue and status", fieldlink.EventFilter{IssueKey: "ITH-1", Status: fieldlink.EventProcessed}, []int64{ids[2]}},
			{"before", fieldlink.EventFilter{BeforeID: ids[2]}, []int64{ids[1], ids[0]}},
			{"limit", fieldlink.EventFilter{Limit: 2}, []int64{ids[4], ids[3]}},
			{"no match", fieldlink.EventFilter{IssueKey: "NOPE-1"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				events, err := db.FindEvents(context.Background(), tt.filter)
				if err != nil {
					t.Fatalf("FindEvents: %v", err)
				}
				var got []int64
				for _, e := range events {
					got = append(got, e.ID)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("FindEvents IDs (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestEventFindPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		specs := make([]fieldlink.Event, 7)
		for i := range specs {
			specs[i] = fieldlink.Event{HookID: "hk_a", IssueKey: fmt.Sprintf("ITH-%d", i)}
		}
		ids := storeEvents(t, db, specs)

		var seen []int64
		filter := fieldlink.EventFilter{Limit: 3}
		for page := 0; page < 10; page++ {
			events, err := db.FindEvents(context.Background(), filter)
			if err != nil {
				t.Fatalf("FindEvents page %d: %v", page, err)
			}
			if len(events) == 0 {
				break
			}
			for _, e := range events {
				seen = append(seen, e.ID)
			}
			filter.BeforeID = events[len(events)-1].ID
		}

		var want []int64
		for i := len(ids) - 1; i >= 0; i-- {
			want = append(want, ids[i])
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("paged IDs (-want +got):\n%s", diff)
		}
	})
}

func TestEventReplayTx(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := storeEvents(t, db, []fieldlink.Event{
			{HookID: "hk_a", IssueKey: "ITH-1", Status: fieldlink.EventFailed},
			{HookID: "hk_a", IssueKey: "ITH-2", Status: fieldlink.EventPending},
		})

		replay := func(id int64) error {
			tx, err := beginTx(ctx, db)
			if err != nil {
				t.Fatalf("begin transaction: %v", err)
			}
			defer tx.Rollback()
			if err := db.ReplayEventTx(ctx, tx, id); err != nil {
				return err
			}
			return tx.Commit()
		}

		if err := replay(ids[0]); err != nil {
			t.Fatalf("replay failed event: %v", err)
		}
		got, err := db.FindEvent(ctx, ids[0])
		if err != nil {
			t.Fatalf("FindEvent: %v", err)
		}
		if got.Status != fieldlink.EventPending {
			t.Errorf("status after replay = %q, want pending", got.Status)
		}
		if got.Outcome == nil || got.Outcome.IssueKey != "ITH-1" {
			t.Errorf("outcome after replay = %+v, want the previous outcome kept", got.Outcome)
		}

		wantError(t, replay(ids[1]), fieldlink.EConflict, "still pending")
		wantError(t, replay(999), fieldlink.ENotFound, "999")
	})
}
