package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// watch runs db.WatchChanges until the test ends and returns the channel
// that receives its changes, and the channel that receives its result.
func watch(t *testing.T, db *DB) (<-chan Change, <-chan error) {
	t.Helper()

	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan Change, 100)
	result := make(chan error, 1)
	go func() { result <- db.WatchChanges(ctx, func(c Change) { changes <- c }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-result:
			if err != nil {
				t.Errorf("WatchChanges = %v after its context ended, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("WatchChanges did not return within 10s of its context ending")
		}
	})

	// On PostgreSQL the first call, with the empty Change, says that
	// LISTEN is in effect, so every change made after it is reported.
	if db.Backend() == "postgres" {
		if got := nextChange(t, changes); got != (Change{}) {
			t.Fatalf("first change = %+v, want the empty Change once listening", got)
		}
	}
	return changes, result
}

// listenerPID waits until a session of the PostgreSQL database other than
// the process exclude listens on the change channel, and returns its
// process ID.
func listenerPID(t *testing.T, db *DB, exclude int) int {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for {
		var pid int
		err := db.db.QueryRowContext(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = ? AND state = 'idle' AND pid <> ?`,
			"LISTEN "+changesChannel, exclude).Scan(&pid)
		if err == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session listens on %s after 10s: %v", changesChannel, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextChange returns the next change, or fails the test after 10s.
func nextChange(t *testing.T, changes <-chan Change) Change {
	t.Helper()

	select {
	case c := <-changes:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported within 10s")
		return Change{}
	}
}

// TestWatchChangesReportsOtherHandle makes changes through one handle and
// watches for them through another, as two replicas do. On SQLite
// WatchChanges returns nil at once, because the process that owns the file
// makes every change itself.
func TestWatchChangesReportsOtherHandle(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		watcher := openAt(t, database)
		writer := openAt(t, database)
		if watcher.Backend() == "sqlite" {
			checkWatchReturnsAtOnce(t, watcher, writer)
			return
		}
		checkChangesReported(t, watcher, writer)
	})
}

func checkChangesReported(t *testing.T, watcher, writer *DB) {
	ctx := context.Background()
	changes, _ := watch(t, watcher)
	listenerPID(t, writer, 0)

	var want []Change
	ds := createTestDatasource(t, writer, "Graph")
	want = append(want, Change{Kind: "datasource", ID: ds.ID})

	it := fieldlink.Item{Name: "Office", DatasourceID: ds.ID, Type: fieldlink.ItemReadOnly}
	if err := writer.CreateItem(ctx, &it); err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	want = append(want, Change{Kind: "item", ID: it.ID})

	r := fieldlink.Rule{Name: "Paris", Fields: map[string]json.RawMessage{"labels": json.RawMessage(`["paris"]`)}}
	if err := writer.CreateRule(ctx, &r); err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	want = append(want, Change{Kind: "rule", ID: r.ID})

	h := fieldlink.Hook{Name: "Intake", Secret: "hook-secret", JiraDatasourceID: ds.ID}
	if err := writer.CreateHook(ctx, &h); err != nil {
		t.Fatalf("CreateHook: %v", err)
	}
	want = append(want, Change{Kind: "hook", ID: h.ID})

	ds.BaseURL = "http://127.0.0.1:2"
	if err := writer.UpdateDatasource(ctx, &ds); err != nil {
		t.Fatalf("UpdateDatasource: %v", err)
	}
	want = append(want, Change{Kind: "datasource", ID: ds.ID})

	it.Template = "${row.office}"
	if err := writer.UpdateItem(ctx, &it); err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	want = append(want, Change{Kind: "item", ID: it.ID})

	if err := writer.SetItemLookupTokenHash(ctx, it.ID, "0f0f"); err != nil {
		t.Fatalf("SetItemLookupTokenHash: %v", err)
	}
	want = append(want, Change{Kind: "item", ID: it.ID})

	r.Position = 5
	if err := writer.UpdateRule(ctx, &r); err != nil {
		t.Fatalf("UpdateRule: %v", err)
	}
	want = append(want, Change{Kind: "rule", ID: r.ID})

	h.MatchAll = true
	if err := writer.UpdateHook(ctx, &h); err != nil {
		t.Fatalf("UpdateHook: %v", err)
	}
	want = append(want, Change{Kind: "hook", ID: h.ID})

	// Health is no configuration change, so it is not announced: the
	// deletes that follow must be the next changes.
	if err := writer.SetDatasourceHealth(ctx, ds.ID, fieldlink.DatasourceHealth{LastError: "timeout"}); err != nil {
		t.Fatalf("SetDatasourceHealth: %v", err)
	}

	for _, step := range []struct {
		kind, id string
		delete   func(context.Context, string) error
	}{
		{"item", it.ID, writer.DeleteItem},
		{"rule", r.ID, writer.DeleteRule},
		{"hook", h.ID, writer.DeleteHook},
		{"datasource", ds.ID, writer.DeleteDatasource},
	} {
		if err := step.delete(ctx, step.id); err != nil {
			t.Fatalf("delete %s: %v", step.kind, err)
		}
		want = append(want, Change{Kind: step.kind, ID: step.id})
	}

	var got []Change
	for range want {
		got = append(got, nextChange(t, changes))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	// A rolled back change is not announced.
	tx, err := writer.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rules (id, name) VALUES (?, ?)`, newID(rulePrefix), "Rolled back"); err != nil {
		t.Fatalf("insert rule: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	last := fieldlink.Rule{Name: "Committed"}
	if err := writer.CreateRule(ctx, &last); err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	if got, want := nextChange(t, changes), (Change{Kind: "rule", ID: last.ID}); got != want {
		t.Errorf("change after a rollback = %+v, want %+v", got, want)
	}
}

// TestWatchChangesReconnects ends the listening session from another
// connection: WatchChanges must listen again, report an empty Change, and
// then report changes again. It is PostgreSQL's alone: SQLite has no
// listening session.
func TestWatchChangesReconnects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	watcher, database := openTestDB(t, "postgres")
	writer := openAt(t, database)

	changes, result := watch(t, watcher)
	pid := listenerPID(t, writer, 0)

	var terminated bool
	if err := writer.db.QueryRowContext(ctx, `SELECT pg_terminate_backend(?)`, pid).Scan(&terminated); err != nil || !terminated {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, terminated, err)
	}

	if got := nextChange(t, changes); got != (Change{}) {
		t.Fatalf("first change after the connection ended = %+v, want the empty Change", got)
	}
	listenerPID(t, writer, pid)

	// The empty Change comes once LISTEN is in effect again, so this
	// change must be reported.
	ds := createTestDatasource(t, writer, "Graph")
	if got, want := nextChange(t, changes), (Change{Kind: "datasource", ID: ds.ID}); got != want {
		t.Errorf("change after reconnecting = %+v, want %+v", got, want)
	}

	select {
	case err := <-result:
		t.Errorf("WatchChanges returned %v while its context is live", err)
	default:
	}
}

// checkWatchReturnsAtOnce checks that WatchChanges on the SQLite watcher
// returns nil at once and reports nothing of a change made by writer.
func checkWatchReturnsAtOnce(t *testing.T, watcher, writer *DB) {
	result := make(chan error, 1)
	go func() {
		result <- watcher.WatchChanges(context.Background(), func(c Change) {
			t.Errorf("change %+v reported on SQLite", c)
		})
	}()

	createTestDatasource(t, writer, "Graph")
	select {
	case err := <-result:
		if err != nil {
			t.Errorf("WatchChanges = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges still running after 10s on SQLite")
	}
}
