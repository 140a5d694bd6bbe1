package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/store"
)

// readiness returns the checks of GET /readyz: a ping of the database, on
// SQLite a committed write, and whether the job queue runs, which Start and
// Shutdown record in queueRunning.
func (s *Server) readiness() *httpapi.Readiness {
	rd := &httpapi.Readiness{
		Database:         s.db.Backend(),
		PingFunc:         s.pingDatabase,
		QueueRunningFunc: s.queueRunning.Load,
	}
	if s.db.Pgx() == nil {
		rd.WriteFunc = (&writeCheck{setFunc: s.db.SetSetting, now: time.Now}).check
	}
	return rd
}

// pingDatabase sends the database a round trip. On PostgreSQL it pings
// through the pgx pool that River and the change listener share, whose
// Acquire replaces an idle connection that the server closed, so one
// dropped connection does not fail the check.
func (s *Server) pingDatabase(ctx context.Context) error {
	pool := s.db.Pgx()
	if pool == nil {
		return s.db.SQL().PingContext(ctx)
	}

	err := pool.Ping(ctx)
	if err != nil && unreachable(err) {
		return &httpapi.CheckError{
			Reason: "ping failed: the database server cannot be reached, so webhooks get a 503 response and Jira delivers them again; the server log has the error",
			Err:    err,
		}
	}
	return err
}

// unreachable reports whether err is a failure to connect to the database
// server, or a connection that ended, rather than an error the server sent.
func unreachable(err error) bool {
	var serverErr *pgconn.PgError
	if errors.As(err, &serverErr) {
		return false
	}
	var connectErr *pgconn.ConnectError
	var opErr *net.OpError
	return errors.As(err, &connectErr) || errors.As(err, &opErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// writeCheckSetting is the settings key that the write check overwrites.
const writeCheckSetting = "readiness_write_check"

// writeCheckInterval is how long the outcome of a write check is reused,
// so that probes sent in a flood, which need no authentication, cause at
// most one write per interval.
const writeCheckInterval = time.Second

// writeCheck commits a small write to the SQLite file for GET /readyz. A
// ping passes on a full disk, but every webhook then gets a 503 response,
// so the check must write. On PostgreSQL the database server's own monitoring
// watches its disk, and the intake's 503 covers a full one, so only the
// ping runs there.
type writeCheck struct {
	// setFunc stores a setting, as store.DB.SetSetting does.
	setFunc func(ctx context.Context, key, value string) error
	now     func() time.Time

	mu        sync.Mutex
	checkedAt time.Time
	err       error
}

// check returns the outcome of a write within the last writeCheckInterval,
// or writes now. A full disk gives an *httpapi.CheckError whose reason
// states it.
func (c *writeCheck) check(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if !c.checkedAt.IsZero() && c.now().Sub(c.checkedAt) < writeCheckInterval {
		return c.err
	}

	now := c.now()
	err := c.setFunc(ctx, writeCheckSetting, now.UTC().Format(time.RFC3339Nano))
	if store.IsDiskFull(err) {
		err = &httpapi.CheckError{
			Reason: "write failed: the disk holding the database is full, so webhooks get a 503 response and Jira delivers them again; free space on it",
			Err:    fmt.Errorf("readiness write check: %w", err),
		}
	}

	// A probe that gave up before the write ended shows nothing about the
	// database, so the next probe writes again.
	if ctx.Err() == nil {
		c.checkedAt, c.err = now, err
	}
	return err
}
