// Package queue stores ticket events and processes them through River on the
// same database, so an event acknowledged to Jira is never lost: the event
// row and its job are written in one transaction before the 202 response.
package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/triage"
)

// EventInserter stores an event inside a transaction, skipping a delivery
// that was already stored, and sets a finished event back to pending for a
// replay. *sqlite.DB implements it.
type EventInserter interface {
	InsertEventTx(ctx context.Context, tx *sql.Tx, e *fieldlink.Event) (inserted bool, err error)
	// ReplayEventTx sets a processed or failed event back to pending. It
	// fails with ENotFound for an unknown event and EConflict for a
	// pending one.
	ReplayEventTx(ctx context.Context, tx *sql.Tx, id int64) error
}

// Options configures a Queue.
type Options struct {
	// DB is the database the events table and River's tables live in.
	DB *sql.DB
	// Events stores events inside the intake transaction.
	Events EventInserter
	// Processor handles each event.
	Processor *triage.Processor
	// Workers is the number of events processed at once. Defaults to 4.
	Workers int
	// MaxAttempts bounds how often a transiently failing event is tried.
	// Defaults to 8.
	MaxAttempts int

	// ReclaimRunningJobs makes Start hand jobs that a previous process left
	// running back to the workers at once. Only a queue that owns its
	// database alone may set it, as the embedded SQLite server does: River
	// would otherwise wait for RescueStuckJobsAfter (an hour by default)
	// before it retried a job whose process was killed.
	ReclaimRunningJobs bool

	Logger *slog.Logger
}

// Queue accepts ticket events and works them.
type Queue struct {
	db      *sql.DB
	events  EventInserter
	river   *river.Client[*sql.Tx]
	logger  *slog.Logger
	reclaim bool
}

// processEventArgs is the River job that processes one stored event.
type processEventArgs struct {
	EventID int64 `json:"eventId"`
}

// Kind returns the River job kind.
func (processEventArgs) Kind() string { return "process_ticket_event" }

// New creates a queue. River's tables must already exist in opts.DB.
func New(opts Options) (*Queue, error) {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &eventWorker{processor: opts.Processor})

	client, err := river.NewClient(riversqlite.New(opts.DB), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
		Workers:           workers,
		MaxAttempts:       opts.MaxAttempts,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		RetryPolicy:       &backoffPolicy{},
		Logger:            opts.Logger.With("component", "river"),
	})
	if err != nil {
		return nil, fmt.Errorf("create River client: %w", err)
	}
	return &Queue{db: opts.DB, events: opts.Events, river: client, logger: opts.Logger, reclaim: opts.ReclaimRunningJobs}, nil
}

// Start begins working events until ctx ends or Stop is called.
func (q *Queue) Start(ctx context.Context) error {
	if q.reclaim {
		if err := q.reclaimRunningJobs(ctx); err != nil {
			return err
		}
	}
	if err := q.river.Start(ctx); err != nil {
		return fmt.Errorf("start River: %w", err)
	}
	return nil
}

// reclaimRunningJobs makes the jobs that a killed process left in the
// running state available again. The events they process stay pending, and
// triage checks the issue before it writes again, so nothing is written
// twice.
func (q *Queue) reclaimRunningJobs(ctx context.Context) error {
	result, err := q.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return fmt.Errorf("reclaim jobs left running by a previous process: %w", err)
	}
	if n, _ := result.RowsAffected(); n > 0 {
		q.logger.Warn("reclaimed ticket events left running by a stopped process", "jobs", n)
	}
	return nil
}

// Stop waits for running events to finish, then stops.
func (q *Queue) Stop(ctx context.Context) error {
	return q.river.Stop(ctx)
}

// Enqueue stores e and its processing job in one transaction. A delivery
// already stored (same hook and delivery ID) is skipped and inserted is false.
func (q *Queue) Enqueue(ctx context.Context, e *fieldlink.Event) (inserted bool, err error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin intake transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // A no-op after Commit.

	inserted, err = q.events.InsertEventTx(ctx, tx, e)
	if err != nil {
		return false, fmt.Errorf("store event for %s: %w", e.IssueKey, err)
	}
	if !inserted {
		return false, nil
	}

	if _, err := q.river.InsertTx(ctx, tx, processEventArgs{EventID: e.ID}, nil); err != nil {
		return false, fmt.Errorf("enqueue event %d for %s: %w", e.ID, e.IssueKey, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit event for %s: %w", e.IssueKey, err)
	}
	return true, nil
}

// Replay sets a failed or processed event back to pending and enqueues a
// new job for it, in one transaction, so the event is processed again from
// its stored payload. It fails with an ENotFound error for an unknown event
// and an EConflict error for one still pending.
func (q *Queue) Replay(ctx context.Context, eventID int64) error {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin replay transaction for event %d: %w", eventID, err)
	}
	defer tx.Rollback() //nolint:errcheck // A no-op after Commit.

	if err := q.events.ReplayEventTx(ctx, tx, eventID); err != nil {
		return err
	}
	if _, err := q.river.InsertTx(ctx, tx, processEventArgs{EventID: eventID}, nil); err != nil {
		return fmt.Errorf("enqueue replay of event %d: %w", eventID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit replay of event %d: %w", eventID, err)
	}

	q.logger.Info("ticket event replayed", "event", eventID)
	return nil
}

type eventWorker struct {
	river.WorkerDefaults[processEventArgs]
	processor *triage.Processor
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[processEventArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	return w.processor.Process(ctx, job.Args.EventID, final)
}

// backoffPolicy retries after 1s, 2s, 4s … capped at five minutes, so a
// throttled upstream is retried soon without being hammered.
type backoffPolicy struct{}

func (backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	delay := time.Second << min(job.Attempt-1, 9)
	return time.Now().Add(min(delay, 5*time.Minute))
}
