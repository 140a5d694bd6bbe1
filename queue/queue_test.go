package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/triage"
)

type fakeItems struct{}

func (fakeItems) EvaluateWithDependencies(context.Context, fieldlink.Item, item.Resolver, fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris", Rows: 1}, nil
}

// fakeJira counts issue updates and fails the first failures of them with
// a retryable Jira error, which requests a wait of retryAfter when it is
// set. Every field is on the edit screen, and the issue holds no field
// values yet.
type fakeJira struct {
	triage.JiraClient // nil: a call the processor should not make panics.

	failures   atomic.Int32
	edits      atomic.Int32
	retryAfter time.Duration
}

func (f *fakeJira) EditMeta(context.Context, fieldlink.Datasource, string) (map[string]jira.FieldMeta, error) {
	return map[string]jira.FieldMeta{"customfield_10050": {Name: "Support group"}, "labels": {Name: "Labels"}}, nil
}

func (f *fakeJira) IssueFields(context.Context, fieldlink.Datasource, string, []string) (map[string]json.RawMessage, error) {
	return map[string]json.RawMessage{}, nil
}

func (f *fakeJira) UpdateIssue(_ context.Context, _ fieldlink.Datasource, key string, _ jira.IssueUpdate) error {
	if f.failures.Add(-1) >= 0 {
		if f.retryAfter > 0 {
			return &jira.EditError{IssueKey: key, Status: 429, Retryable: true, RetryAfter: f.retryAfter}
		}
		return &jira.EditError{IssueKey: key, Status: 503, Retryable: true}
	}
	f.edits.Add(1)
	return nil
}

// forEachDatabase runs test on a new SQLite file and on a new PostgreSQL
// database. database is the file's path or the database's URL, to open with
// openDB as often as the test needs.
func forEachDatabase(t *testing.T, test func(t *testing.T, database string)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, filepath.Join(t.TempDir(), "fieldlink.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, pgtest.NewDatabase(t))
	})
}

// newKey returns a random master key.
func newKey() []byte {
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	return key
}

// openDB opens the database (an SQLite path or a PostgreSQL URL) and
// closes it when the test ends, unless the test closed it first.
func openDB(t *testing.T, database string, key []byte) *store.DB {
	t.Helper()
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), database, sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countJobs returns the number of River jobs in the database.
func countJobs(t *testing.T, db *store.DB) int {
	t.Helper()
	var jobs int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM river_job`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// startQueue starts q and stops it when the test ends, before the
// database closes.
func startQueue(t *testing.T, q *Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}

// configure stores a datasource, an item, a rule and a hook, and returns the hook.
func configure(t *testing.T, db *store.DB) fieldlink.Hook {
	t.Helper()
	ctx := context.Background()
	ds := fieldlink.Datasource{Name: "Jira", BaseURL: "http://127.0.0.1:9", Auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "a@example.com", Password: "p"}}
	if err := db.CreateDatasource(ctx, &ds); err != nil {
		t.Fatal(err)
	}
	it := fieldlink.Item{Name: "Reporter office", DatasourceID: ds.ID, Type: fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{Method: "GET", Path: "/users/${reporter.emailAddress}"}, Template: "${row.officeLocation}"}
	if err := db.CreateItem(ctx, &it); err != nil {
		t.Fatal(err)
	}
	rule := fieldlink.Rule{Name: "Paris", Condition: `items["Reporter office"] == "Paris"`,
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)}}
	if err := db.CreateRule(ctx, &rule); err != nil {
		t.Fatal(err)
	}
	hook := fieldlink.Hook{Name: "IT Help", Secret: "s", JiraDatasourceID: ds.ID}
	if err := db.CreateHook(ctx, &hook); err != nil {
		t.Fatal(err)
	}
	return hook
}

func newQueue(t *testing.T, db *store.DB, j *fakeJira) *Queue {
	t.Helper()
	processor := &triage.Processor{Store: db, Items: fakeItems{}, Jira: j}
	q, err := New(Options{Store: db, Processor: processor})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func event(hookID, key string) *fieldlink.Event {
	payload, _ := json.Marshal(map[string]any{
		"timestamp": 1733300000000, "webhookEvent": "jira:issue_created",
		"issue": map[string]any{"id": "1", "key": key, "fields": map[string]any{
			"reporter": map[string]any{"accountId": "712020:1", "emailAddress": "ada@fabrikam.example"}}},
	})
	return &fieldlink.Event{HookID: hookID, DeliveryID: "delivery-" + key, Kind: "jira:issue_created", IssueKey: key, Payload: payload}
}

// waitFinished waits until the event is no longer pending.
func waitFinished(t *testing.T, db *store.DB, id int64, within time.Duration) fieldlink.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev, err := db.FindEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Status != fieldlink.EventPending {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %d still pending after %s", id, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEnqueuedEventSurvivesRestart(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		key := newKey()

		// The first process accepts the event and stops before working it.
		db := openDB(t, database, key)
		hook := configure(t, db)
		j := &fakeJira{}
		ev := event(hook.ID, "ITH-1")
		inserted, err := newQueue(t, db, j).Enqueue(context.Background(), ev)
		if err != nil || !inserted {
			t.Fatalf("Enqueue = %v, %v; want inserted", inserted, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		// The next process finds the job and works it.
		db = openDB(t, database, key)
		startQueue(t, newQueue(t, db, j))

		got := waitFinished(t, db, ev.ID, 30*time.Second)
		if got.Status != fieldlink.EventProcessed {
			t.Errorf("status = %q, want processed (outcome %+v)", got.Status, got.Outcome)
		}
		if n := j.edits.Load(); n != 1 {
			t.Errorf("issue edited %d times, want 1", n)
		}
	})
}

func TestDuplicateDeliveryEnqueuedOnce(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db := openDB(t, database, newKey())
		hook := configure(t, db)
		j := &fakeJira{}
		q := newQueue(t, db, j)
		startQueue(t, q)

		first := event(hook.ID, "ITH-2")
		if inserted, err := q.Enqueue(context.Background(), first); err != nil || !inserted {
			t.Fatalf("first delivery: inserted %v, err %v", inserted, err)
		}
		if inserted, err := q.Enqueue(context.Background(), event(hook.ID, "ITH-2")); err != nil || inserted {
			t.Fatalf("second delivery: inserted %v, err %v; want a skipped duplicate", inserted, err)
		}

		waitFinished(t, db, first.ID, 30*time.Second)
		if jobs := countJobs(t, db); jobs != 1 {
			t.Errorf("%d River jobs for one delivery sent twice, want 1", jobs)
		}
		if n := j.edits.Load(); n != 1 {
			t.Errorf("issue edited %d times, want 1", n)
		}
	})
}

func TestTransientFailureRetried(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db := openDB(t, database, newKey())
		hook := configure(t, db)
		j := &fakeJira{}
		j.failures.Store(1)
		q := newQueue(t, db, j)
		startQueue(t, q)

		ev := event(hook.ID, "ITH-3")
		if _, err := q.Enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}

		got := waitFinished(t, db, ev.ID, 30*time.Second)
		if got.Status != fieldlink.EventProcessed {
			t.Errorf("status = %q, want processed after a retry (outcome %+v)", got.Status, got.Outcome)
		}
		if left := j.failures.Load(); left != -1 {
			t.Errorf("edit attempts left the failure counter at %d, want -1 (one failure, one success)", left)
		}
		if n := j.edits.Load(); n != 1 {
			t.Errorf("issue edited %d times, want 1", n)
		}
	})
}

func TestStartReclaimsJobsLeftRunning(t *testing.T) {
	// Only the embedded SQLite database belongs to one process, so only
	// there may Start take back jobs marked running.
	db := openDB(t, filepath.Join(t.TempDir(), "fieldlink.db"), newKey())
	hook := configure(t, db)
	j := &fakeJira{}
	ev := event(hook.ID, "ITH-9")
	if _, err := newQueue(t, db, j).Enqueue(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	// A process killed while working the event leaves its job running.
	if _, err := db.SQL().Exec(`UPDATE river_job SET state = 'running', attempt = 1`); err != nil {
		t.Fatal(err)
	}

	processor := &triage.Processor{Store: db, Items: fakeItems{}, Jira: j}
	q, err := New(Options{Store: db, Processor: processor, ReclaimRunningJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	startQueue(t, q)

	got := waitFinished(t, db, ev.ID, 30*time.Second)
	if got.Status != fieldlink.EventProcessed {
		t.Errorf("status = %q, want processed", got.Status)
	}
}

func TestRunningJobsOfLiveReplicasKeptOnPostgres(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t), newKey())
	hook := configure(t, db)
	j := &fakeJira{}
	enqueuer := newQueue(t, db, j)

	// One job was taken an hour ago by a replica that stopped, the other
	// just now by a replica that is still working it.
	markRunning := func(key, attemptedAt, replica string) *fieldlink.Event {
		t.Helper()
		ev := event(hook.ID, key)
		if _, err := enqueuer.Enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		_, err := db.SQL().Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = `+attemptedAt+
			`, attempted_by = ARRAY[$1] WHERE state = 'available'`, replica)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	stopped := markRunning("ITH-10", "now() - interval '1 hour'", "replica-that-stopped")
	live := markRunning("ITH-11", "now()", "replica-still-running")

	// ReclaimRunningJobs is ignored on PostgreSQL: only River's rescuer
	// hands back a job, once it has run for twice the job timeout.
	processor := &triage.Processor{Store: db, Items: fakeItems{}, Jira: j}
	q, err := New(Options{Store: db, Processor: processor, ReclaimRunningJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	startQueue(t, q)

	got := waitFinished(t, db, stopped.ID, 30*time.Second)
	if got.Status != fieldlink.EventProcessed {
		t.Errorf("event of the stopped replica: status %q, want processed after the rescue (outcome %+v)", got.Status, got.Outcome)
	}

	var state string
	var attempt int
	err = db.SQL().QueryRow(`SELECT state, attempt FROM river_job WHERE (args->>'eventId')::bigint = $1`, live.ID).Scan(&state, &attempt)
	if err != nil {
		t.Fatal(err)
	}
	if state != "running" || attempt != 1 {
		t.Errorf("job of the live replica: state %q attempt %d, want running attempt 1", state, attempt)
	}
	ev, err := db.FindEvent(context.Background(), live.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != fieldlink.EventPending {
		t.Errorf("event of the live replica: status %q, want pending", ev.Status)
	}
	if n := j.edits.Load(); n != 1 {
		t.Errorf("issues edited %d times, want 1 (only the rescued event)", n)
	}
}

func TestRetryWaitsForRetryAfter(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, database string) {
		db := openDB(t, database, newKey())
		hook := configure(t, db)
		j := &fakeJira{retryAfter: 20 * time.Second}
		j.failures.Store(1)
		q := newQueue(t, db, j)
		startQueue(t, q)

		ev := event(hook.ID, "ITH-4")
		if _, err := q.Enqueue(context.Background(), ev); err != nil {
			t.Fatal(err)
		}

		// The backoff alone would retry the first attempt after 1 s, and
		// Jira asked for 20 s.
		wait := waitRetryScheduled(t, db, 10*time.Second)
		if wait < 19*time.Second || wait > 21*time.Second {
			t.Errorf("retry scheduled %s after the attempt, want Jira's Retry-After of 20s", wait)
		}
		if n := j.edits.Load(); n != 0 {
			t.Errorf("issue edited %d times before the retry, want 0", n)
		}
	})
}

// waitRetryScheduled waits until the only River job is set to be retried
// and returns the time from its attempt to its scheduled retry.
func waitRetryScheduled(t *testing.T, db *store.DB, within time.Duration) time.Duration {
	t.Helper()
	query := `SELECT (julianday(scheduled_at) - julianday(attempted_at)) * 86400 FROM river_job WHERE state = 'retryable'`
	if db.Backend() == "postgres" {
		query = `SELECT EXTRACT(EPOCH FROM scheduled_at - attempted_at)::float8 FROM river_job WHERE state = 'retryable'`
	}
	deadline := time.Now().Add(within)
	for {
		var seconds float64
		err := db.SQL().QueryRow(query).Scan(&seconds)
		if err == nil {
			return time.Duration(seconds * float64(time.Second))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job set to be retried within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
