package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// insertResult is what one caller of InsertEventTx got.
type insertResult struct {
	inserted   bool
	id         int64
	receivedAt time.Time
	err        error
}

// TestEventDeliveryStoredOnceConcurrently inserts the same deliveries from
// many goroutines, each in a transaction of its own, as webhook retries
// reaching several replicas at once do.
func TestEventDeliveryStoredOnceConcurrently(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		const (
			deliveries = 3
			callers    = 12
		)
		ctx := context.Background()

		results := make([][]insertResult, deliveries)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for d := range deliveries {
			results[d] = make([]insertResult, callers)
			for c := range callers {
				wg.Go(func() {
					<-start
					results[d][c] = insertInOwnTx(ctx, db, fmt.Sprintf("delivery-%d", d))
				})
			}
		}
		close(start)
		wg.Wait()

		ids := map[int64]bool{}
		for d, callerResults := range results {
			inserted := 0
			first := callerResults[0]
			for c, r := range callerResults {
				if r.err != nil {
					t.Errorf("delivery %d caller %d: %v", d, c, r.err)
					continue
				}
				if r.inserted {
					inserted++
				}
				if r.id != first.id || !r.receivedAt.Equal(first.receivedAt) {
					t.Errorf("delivery %d caller %d got event %d received %v, caller 0 got %d received %v",
						d, c, r.id, r.receivedAt, first.id, first.receivedAt)
				}
			}
			if inserted != 1 {
				t.Errorf("delivery %d: %d callers inserted it, want exactly 1", d, inserted)
			}
			ids[first.id] = true
		}
		if len(ids) != deliveries {
			t.Errorf("%d distinct event IDs for %d deliveries", len(ids), deliveries)
		}

		if got := countRows(t, db, `SELECT COUNT(*) FROM events`); got != deliveries {
			t.Errorf("events stored = %d, want %d", got, deliveries)
		}
		for id := range ids {
			if _, err := db.FindEvent(ctx, id); err != nil {
				t.Errorf("FindEvent %d: %v", id, err)
			}
		}
	})
}

// insertInOwnTx inserts a delivery of the hook hk_intake in a transaction
// of its own and commits it.
func insertInOwnTx(ctx context.Context, db *DB, deliveryID string) insertResult {
	tx, err := beginTx(ctx, db)
	if err != nil {
		return insertResult{err: fmt.Errorf("begin transaction: %w", err)}
	}
	defer tx.Rollback()

	e := issueCreated(deliveryID)
	inserted, err := db.InsertEventTx(ctx, tx, &e)
	if err != nil {
		return insertResult{err: err}
	}
	if err := tx.Commit(); err != nil {
		return insertResult{err: fmt.Errorf("commit: %w", err)}
	}
	return insertResult{inserted: inserted, id: e.ID, receivedAt: e.ReceivedAt}
}

// TestAddSettingConcurrently adds one setting from many goroutines, as
// replicas starting together do with the admin token: exactly one value is
// stored, and every caller learns which.
func TestAddSettingConcurrently(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		const callers = 12
		ctx := context.Background()

		type addResult struct {
			stored string
			added  bool
			err    error
		}
		results := make([]addResult, callers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				<-start
				var r addResult
				r.stored, r.added, r.err = db.AddSetting(ctx, "admin_token_sha256", fmt.Sprintf("hash-%d", c))
				results[c] = r
			})
		}
		close(start)
		wg.Wait()

		var winners []string
		for c, r := range results {
			if r.err != nil {
				t.Fatalf("caller %d: %v", c, r.err)
			}
			if r.added {
				winners = append(winners, r.stored)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%d callers added their value, want exactly 1: %v", len(winners), winners)
		}
		for c, r := range results {
			if r.stored != winners[0] {
				t.Errorf("caller %d: stored = %q, want the winner's %q", c, r.stored, winners[0])
			}
			if want := r.stored == fmt.Sprintf("hash-%d", c); r.added != want {
				t.Errorf("caller %d: added = %v, want %v", c, r.added, want)
			}
		}

		got, ok, err := db.GetSetting(ctx, "admin_token_sha256")
		if err != nil || !ok || got != winners[0] {
			t.Errorf("GetSetting = %q, %v, %v, want %q", got, ok, err, winners[0])
		}
	})
}

// workerResult is what one writer of TestConcurrentWriters did, so the test
// can compare the final state with it.
type workerResult struct {
	// items and rules are the records this worker owns that should remain,
	// as it last wrote them.
	items []fieldlink.Item
	rules []fieldlink.Rule

	createdContended bool
	renamedPopular   bool
	doomedItem       *fieldlink.Item
	deletedDoomed    bool

	// errs are the errors other than the expected conflicts.
	errs []error
}

// TestConcurrentWriters runs many writers at once that create, update and
// delete datasources, items and rules, some on records of their own and
// some racing for one name or one datasource. Every call must succeed or
// fail with one of the expected conflicts, and the final state must be
// exactly what the successful calls wrote.
func TestConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		const (
			workers = 8
			rounds  = 4
		)
		ctx := context.Background()
		doomed := createTestDatasource(t, db, "Doomed")

		results := make([]workerResult, workers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				<-start
				results[w] = runWriter(ctx, db, w, rounds, doomed.ID)
			})
		}
		close(start)
		wg.Wait()

		for w, r := range results {
			for _, err := range r.errs {
				t.Errorf("worker %d: %v", w, err)
			}
		}
		if t.Failed() {
			return
		}

		// One worker won each race for a name.
		contended, popular := 0, 0
		deleted := 0
		var doomedItems []fieldlink.Item
		var wantItems []fieldlink.Item
		var wantRules []fieldlink.Rule
		for _, r := range results {
			if r.createdContended {
				contended++
			}
			if r.renamedPopular {
				popular++
			}
			if r.deletedDoomed {
				deleted++
			}
			if r.doomedItem != nil {
				doomedItems = append(doomedItems, *r.doomedItem)
			}
			wantItems = append(wantItems, r.items...)
			wantRules = append(wantRules, r.rules...)
		}
		if contended != 1 {
			t.Errorf("%d workers created the datasource Contended, want 1", contended)
		}
		if popular != 1 {
			t.Errorf("%d workers renamed an item to Popular, want 1", popular)
		}

		// Either the doomed datasource was deleted before any item used it,
		// or items use it and every delete was rejected.
		_, err := db.FindDatasource(ctx, doomed.ID)
		switch {
		case deleted == 1 && len(doomedItems) == 0:
			wantError(t, err, fieldlink.ENotFound)
		case deleted == 0 && len(doomedItems) > 0:
			if err != nil {
				t.Errorf("FindDatasource Doomed: %v", err)
			}
			wantItems = append(wantItems, doomedItems...)
		default:
			t.Errorf("%d deletes of the datasource Doomed succeeded and %d items were created on it", deleted, len(doomedItems))
		}

		items, err := db.ListItems(ctx)
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		byID := func(a, b fieldlink.Item) int { return strings.Compare(a.ID, b.ID) }
		slices.SortFunc(items, byID)
		slices.SortFunc(wantItems, byID)
		if diff := cmp.Diff(wantItems, items); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}

		rules, err := db.ListRules(ctx)
		if err != nil {
			t.Fatalf("ListRules: %v", err)
		}
		ruleByID := func(a, b fieldlink.Rule) int { return strings.Compare(a.ID, b.ID) }
		slices.SortFunc(rules, ruleByID)
		slices.SortFunc(wantRules, ruleByID)
		if diff := cmp.Diff(wantRules, rules); diff != "" {
			t.Errorf("rules (-want +got):\n%s", diff)
		}

		datasources, err := db.ListDatasources(ctx)
		if err != nil {
			t.Fatalf("ListDatasources: %v", err)
		}
		var names []string
		for _, ds := range datasources {
			names = append(names, ds.Name)
		}
		wantNames := []string{"contended"}
		if deleted == 0 {
			wantNames = append(wantNames, "Doomed")
		}
		for w := range workers {
			wantNames = append(wantNames, fmt.Sprintf("Renamed %d", w))
		}
		if diff := cmp.Diff(wantNames, names, cmp.Comparer(strings.EqualFold)); diff != "" {
			t.Errorf("datasource names, ignoring case (-want +got):\n%s", diff)
		}
	})
}

// runWriter is one worker of TestConcurrentWriters.
func runWriter(ctx context.Context, db *DB, w, rounds int, doomedID string) workerResult {
	var r workerResult

	// expect records err unless it is nil or has one of the codes, and
	// reports whether err is nil.
	expect := func(op string, err error, codes ...string) bool {
		if err == nil {
			return true
		}
		if !slices.Contains(codes, fieldlink.ErrorCode(err)) {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", op, err))
		}
		return false
	}

	own := fieldlink.Datasource{Name: fmt.Sprintf("Worker %d", w), BaseURL: "http://127.0.0.1:1"}
	if !expect("create own datasource", db.CreateDatasource(ctx, &own)) {
		return r
	}

	// Every worker races for one name, in a case of its own.
	contended := fieldlink.Datasource{Name: "contended", BaseURL: "http://127.0.0.1:1"}
	if w%2 == 1 {
		contended.Name = "CONTENDED"
	}
	r.createdContended = expect("create Contended", db.CreateDatasource(ctx, &contended), fieldlink.EConflict)

	for round := range rounds {
		it := fieldlink.Item{Name: fmt.Sprintf("Item %d-%d", w, round), DatasourceID: own.ID, Type: fieldlink.ItemReadOnly, Template: "${row.first}"}
		if !expect("create item", db.CreateItem(ctx, &it)) {
			continue
		}
		it.Template = fmt.Sprintf("${row.round%d}", round)
		if !expect("update item", db.UpdateItem(ctx, &it)) {
			continue
		}

		rule := fieldlink.Rule{Name: fmt.Sprintf("Rule %d-%d", w, round), Position: round, Condition: "true"}
		if !expect("create rule", db.CreateRule(ctx, &rule)) {
			continue
		}
		rule.Comment = fmt.Sprintf("worker %d round %d", w, round)
		if !expect("update rule", db.UpdateRule(ctx, &rule)) {
			continue
		}

		if round%2 == 1 {
			expect("delete item", db.DeleteItem(ctx, it.ID))
			expect("delete rule", db.DeleteRule(ctx, rule.ID))
			continue
		}
		r.items = append(r.items, it)
		r.rules = append(r.rules, rule)
	}

	// Half the workers add an item to the doomed datasource while the other
	// half delete it.
	if w%2 == 0 {
		it := fieldlink.Item{Name: fmt.Sprintf("Doomed item %d", w), DatasourceID: doomedID, Type: fieldlink.ItemReadOnly}
		if expect("create item on Doomed", db.CreateItem(ctx, &it), fieldlink.EInvalid) {
			r.doomedItem = &it
		}
	} else {
		r.deletedDoomed = expect("delete Doomed", db.DeleteDatasource(ctx, doomedID), fieldlink.EConflict, fieldlink.ENotFound)
	}

	// Every worker renames its first item to one name.
	if len(r.items) > 0 {
		popular := r.items[0]
		popular.Name = "Popular"
		if expect("rename item to Popular", db.UpdateItem(ctx, &popular), fieldlink.EConflict) {
			r.renamedPopular = true
			r.items[0] = popular
		}
	}

	own.Name = fmt.Sprintf("Renamed %d", w)
	expect("rename own datasource", db.UpdateDatasource(ctx, &own))
	return r
}

// TestWriterWaitsForOpenTransaction starts a call while another handle's
// transaction has changed the same datasource and not committed, then
// commits it. The call must wait and then see the committed change. On
// SQLite the open transaction holds the write lock, so the call waits at
// its BEGIN. On PostgreSQL it waits on a row lock, and the test commits
// only once the call waits, so that the call read the row before.
func TestWriterWaitsForOpenTransaction(t *testing.T) {
	tests := []struct {
		name string
		// uncommitted runs in the other handle's transaction.
		uncommitted func(ctx context.Context, tx *txn, dsID string) error
		call        func(ctx context.Context, db *DB, ds fieldlink.Datasource) error
		code        string
		fragment    string
	}{
		{
			name: "delete after an item is added",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO items (id, name, datasource_id, type) VALUES (?, ?, ?, ?)`,
					newID(itemPrefix), "Office", dsID, string(fieldlink.ItemReadOnly))
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				return db.DeleteDatasource(ctx, ds.ID)
			},
			code:     fieldlink.EConflict,
			fragment: `datasource "Jira" is used by item "Office"`,
		},
		{
			name: "delete after a hook is added",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO hooks (id, name, jira_datasource_id) VALUES (?, ?, ?)`,
					newID(hookPrefix), "Intake", dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				return db.DeleteDatasource(ctx, ds.ID)
			},
			code:     fieldlink.EConflict,
			fragment: `datasource "Jira" is used by hook "Intake"`,
		},
		{
			name: "delete after a delete",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				return db.DeleteDatasource(ctx, ds.ID)
			},
			code:     fieldlink.ENotFound,
			fragment: "not found",
		},
		{
			name: "update after a delete",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				ds.BaseURL = "http://127.0.0.1:2"
				return db.UpdateDatasource(ctx, &ds)
			},
			code:     fieldlink.ENotFound,
			fragment: "not found",
		},
		{
			name: "item create after a delete",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				it := fieldlink.Item{Name: "Office", DatasourceID: ds.ID, Type: fieldlink.ItemReadOnly}
				return db.CreateItem(ctx, &it)
			},
			code:     fieldlink.EInvalid,
			fragment: "not found",
		},
		{
			name: "hook create after a delete",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				h := fieldlink.Hook{Name: "Intake", JiraDatasourceID: ds.ID}
				return db.CreateHook(ctx, &h)
			},
			code:     fieldlink.EInvalid,
			fragment: "not found",
		},
		{
			name: "health after a delete",
			uncommitted: func(ctx context.Context, tx *txn, dsID string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, dsID)
				return err
			},
			call: func(ctx context.Context, db *DB, ds fieldlink.Datasource) error {
				return db.SetDatasourceHealth(ctx, ds.ID, fieldlink.DatasourceHealth{LastError: "timeout"})
			},
			code:     fieldlink.ENotFound,
			fragment: "not found",
		},
	}

	forEachDatabase(t, func(t *testing.T, database string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				db := openAt(t, database)
				other := openAt(t, database)
				ds := createTestDatasource(t, db, "Jira")
				t.Cleanup(func() { cleanTables(t, db) })

				tx, err := other.db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatalf("begin the other transaction: %v", err)
				}
				defer tx.Rollback()
				if err := tt.uncommitted(ctx, tx, ds.ID); err != nil {
					t.Fatalf("uncommitted change: %v", err)
				}

				done := make(chan error, 1)
				go func() { done <- tt.call(ctx, db, ds) }()
				if db.Backend() == "postgres" {
					waitForLockWait(t, other)
				}
				if err := tx.Commit(); err != nil {
					t.Fatalf("commit the other transaction: %v", err)
				}

				wantError(t, <-done, tt.code, tt.fragment)
			})
		}
	})
}

// openAt opens the database at database and closes it when the test ends.
func openAt(t *testing.T, database string) *DB {
	t.Helper()

	db, err := Open(context.Background(), database, testSealer(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// cleanTables deletes the configuration records, so that the subtests of a
// test can share one database.
func cleanTables(t *testing.T, db *DB) {
	t.Helper()

	for _, table := range []string{"items", "hooks", "rules", "datasource_health", "datasources"} {
		if _, err := db.db.ExecContext(context.Background(), `DELETE FROM `+table); err != nil {
			t.Fatalf("empty table %s: %v", table, err)
		}
	}
}

// waitForLockWait waits until a session of the PostgreSQL database waits
// for a lock.
func waitForLockWait(t *testing.T, db *DB) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for {
		waiting := countRows(t, db, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session waits for a lock after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
