// Package queue stores ticket events and processes them through River on the
// same database, so an event acknowledged to Jira is never lost: the event
// row and its job are written in one transaction before the 202 response.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/triage"
)

// Options configures a Queue.
type Options struct {
	// Store holds the events table, and River's tables live beside it: on
	// the same SQLite file or PostgreSQL database.
	Store *store.DB
	// Processor handles each event.
	Processor *triage.Processor
	// Workers is the number of events processed at once. Defaults to
	// DefaultSQLiteWorkers or DefaultPostgresWorkers, by the store's
	// database.
	Workers int
	// MaxAttempts bounds how often a transiently failing event is tried.
	// Defaults to 8.
	MaxAttempts int

	// JobTimeout bounds how long one event may be processed: the job's
	// context ends then. On PostgreSQL, River's rescuer hands a job that a
	// stopped replica left running to another replica once the job has run
	// for twice this. In River v0.51.2 the rescuer looks every 30 seconds
	// and the scheduler releases the retry within 5 more, so the hand-over
	// takes up to 2×JobTimeout plus about 36 seconds. Defaults to one minute.
	JobTimeout time.Duration

	// ReclaimRunningJobs makes Start hand jobs that a previous process left
	// running back to the workers at once. Only a queue that owns its
	// database alone may set it, as the embedded SQLite server does: River
	// would otherwise wait for RescueStuckJobsAfter (an hour by default)
	// before it retried a job whose process was killed. It is ignored on
	// PostgreSQL, where other replicas may be working those jobs.
	ReclaimRunningJobs bool

	Logger *slog.Logger
}

// The default numbers of events processed at once. A worker spends most of
// its time waiting for the APIs it calls (Graph, then Jira's edit screen and
// edit), so many run at once. On SQLite every worker's writes, and the
// intake's, take turns on one connection, so more workers there mostly make
// webhooks wait longer for their 202. PostgreSQL commits from many
// connections at once.
const (
	DefaultSQLiteWorkers   = 16
	DefaultPostgresWorkers = 64
)

// Queue accepts ticket events and works them.
type Queue struct {
	store   *store.DB
	river   riverClient
	inTx    txRunner
	logger  *slog.Logger
	reclaim bool
}

// riverClient is the part of a River client of either driver that starts
// and stops it.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// txRunner runs fn in one database transaction. fn receives the store's
// view of the transaction and a function that inserts a River job in it.
// The transaction commits when fn returns nil.
type txRunner func(ctx context.Context, fn func(tx store.Tx, insertJob func(river.JobArgs) error) error) error

// processEventArgs is the River job that processes one stored event.
type processEventArgs struct {
	EventID int64 `json:"eventId"`
}

// Kind returns the River job kind.
func (processEventArgs) Kind() string { return "process_ticket_event" }

// New creates a queue on the store's database, with River's SQLite or pgx
// driver to match. River's tables must already exist there, as store.Open
// makes sure.
func New(opts Options) (*Queue, error) {
	if opts.Store == nil {
		return nil, errors.New("create queue: the store is nil")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultSQLiteWorkers
		if opts.Store.Pgx() != nil {
			opts.Workers = DefaultPostgresWorkers
		}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &eventWorker{processor: opts.Processor})
	config := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
		Workers:              workers,
		MaxAttempts:          opts.MaxAttempts,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: 2 * opts.JobTimeout,
		FetchCooldown:        20 * time.Millisecond,
		FetchPollInterval:    100 * time.Millisecond,
		RetryPolicy:          &backoffPolicy{},
		Logger:               slog.New(newRepeatLimiter(opts.Logger.Handler(), time.Now)).With("component", "river"),
	}

	q := &Queue{store: opts.Store, logger: opts.Logger}
	if pool := opts.Store.Pgx(); pool != nil {
		client, err := river.NewClient(riverpgxv5.New(pool), config)
		if err != nil {
			return nil, fmt.Errorf("create River client: %w", err)
		}
		q.river = client
		q.inTx = pgxRunner(pool, client)
		return q, nil
	}

	client, err := river.NewClient(riversqlite.New(opts.Store.SQL()), config)
	if err != nil {
		return nil, fmt.Errorf("create River client: %w", err)
	}
	q.river = client
	q.inTx = sqlRunner(opts.Store.SQL(), client)
	q.reclaim = opts.ReclaimRunningJobs
	return q, nil
}

// sqlRunner runs transactions on the SQLite pool.
func sqlRunner(db *sql.DB, client *river.Client[*sql.Tx]) txRunner {
	return func(ctx context.Context, fn func(store.Tx, func(river.JobArgs) error) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer tx.Rollback() //nolint:errcheck // A no-op after Commit.

		insertJob := func(args river.JobArgs) error {
			_, err := client.InsertTx(ctx, tx, args, nil)
			return err
		}
		if err := fn(store.SQLTx(tx), insertJob); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
}

// pgxRunner runs transactions on the PostgreSQL pool.
func pgxRunner(pool *pgxpool.Pool, client *river.Client[pgx.Tx]) txRunner {
	return func(ctx context.Context, fn func(store.Tx, func(river.JobArgs) error) error) error {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // A no-op after Commit.

		insertJob := func(args river.JobArgs) error {
			_, err := client.InsertTx(ctx, tx, args, nil)
			return err
		}
		if err := fn(store.PgxTx(tx), insertJob); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
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
	result, err := q.store.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
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
	err = q.inTx(ctx, func(tx store.Tx, insertJob func(river.JobArgs) error) error {
		inserted, err = q.store.InsertEventTx(ctx, tx, e)
		if err != nil {
			return fmt.Errorf("store event: %w", err)
		}
		if !inserted {
			return nil
		}
		if err := insertJob(processEventArgs{EventID: e.ID}); err != nil {
			return fmt.Errorf("enqueue event %d: %w", e.ID, err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("intake of %s: %w", e.IssueKey, err)
	}
	return inserted, nil
}

// Replay sets a failed or processed event back to pending and enqueues a
// new job for it, in one transaction, so the event is processed again from
// its stored payload. It fails with an ENotFound error for an unknown event
// and an EConflict error for one still pending.
func (q *Queue) Replay(ctx context.Context, eventID int64) error {
	err := q.inTx(ctx, func(tx store.Tx, insertJob func(river.JobArgs) error) error {
		if err := q.store.ReplayEventTx(ctx, tx, eventID); err != nil {
			return err
		}
		if err := insertJob(processEventArgs{EventID: eventID}); err != nil {
			return fmt.Errorf("enqueue replay of event %d: %w", eventID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}

	q.logger.Info("ticket event replayed", "event", eventID)
	return nil
}

type eventWorker struct {
	river.WorkerDefaults[processEventArgs]
	processor *triage.Processor

	// retryAfter maps a job ID to the wait Jira asked for with Retry-After
	// on the job's last attempt, from Work until NextRetry reads it. River
	// calls NextRetry on the client that ran Work, so a map in memory is
	// enough.
	retryAfter sync.Map
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[processEventArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	err := w.processor.Process(ctx, job.Args.EventID, final)

	var transient *triage.TransientError
	if errors.As(err, &transient) && transient.RetryAfter > 0 {
		w.retryAfter.Store(job.ID, transient.RetryAfter)
	}
	return err
}

// maxRetryAfter bounds the wait taken from a Retry-After header, so that a
// wrong header cannot park an event for days.
const maxRetryAfter = time.Hour

// NextRetry schedules the next attempt of a throttled event no sooner than
// Jira's Retry-After asked, or by backoffPolicy when that is later. It
// returns the zero time, which leaves the choice to backoffPolicy, when the
// last attempt brought no Retry-After.
func (w *eventWorker) NextRetry(job *river.Job[processEventArgs]) time.Time {
	value, ok := w.retryAfter.LoadAndDelete(job.ID)
	if !ok {
		return time.Time{}
	}

	requested := time.Now().Add(min(value.(time.Duration), maxRetryAfter))
	backoff := backoffPolicy{}.NextRetry(job.JobRow)
	if backoff.After(requested) {
		return backoff
	}
	return requested
}

// backoffPolicy retries after 1s, 2s, 4s … capped at five minutes, so a
// failing upstream is retried soon without being hammered. A throttled
// event waits longer when Jira's Retry-After requests it, as
// eventWorker.NextRetry decides.
type backoffPolicy struct{}

func (backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	delay := time.Second << min(job.Attempt-1, 9)
	return time.Now().Add(min(delay, 5*time.Minute))
}
