package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultReadinessTimeout is how long GET /readyz waits for the database
// when Readiness.Timeout is zero. It stays under the 3-second probe timeout
// of the Kubernetes manifests in deploy/kubernetes.
const DefaultReadinessTimeout = 2 * time.Second

// Readiness configures GET /readyz, which a load balancer or an
// orchestrator polls to decide whether to send this replica requests. A nil
// *Readiness, or one without PingFunc or QueueRunningFunc, reports not
// ready, because what is not checked is not known to work.
type Readiness struct {
	// Database is the database kind reported in the response: "sqlite" or
	// "postgres".
	Database string

	// PingFunc checks that the database responds. It is called with a
	// context that ends after Timeout.
	PingFunc func(ctx context.Context) error

	// WriteFunc checks that the database can commit a write, which a ping
	// does not show: a full disk fails writes while reads still pass. It
	// is called after PingFunc passes, with the same Timeout. Nil skips
	// the check.
	WriteFunc func(ctx context.Context) error

	// QueueRunningFunc reports whether the job queue has started and is
	// not stopping.
	QueueRunningFunc func() bool

	// Timeout bounds PingFunc. Defaults to DefaultReadinessTimeout.
	Timeout time.Duration

	// lastState is the outcome of the previous check (readinessUnknown,
	// readinessReady or readinessNotReady), so that only changes are
	// logged although probes poll every few seconds.
	lastState atomic.Int32
}

const (
	readinessUnknown int32 = iota
	readinessReady
	readinessNotReady
)

// ReadinessBody is the response of GET /readyz.
type ReadinessBody struct {
	// Status is "ready" or "not ready".
	Status string `json:"status"`
	// Database is "sqlite" or "postgres", empty when not configured.
	Database string `json:"database,omitempty"`
	// Checks contains "ok" for each dependency that is ready, or else the
	// reason it is not.
	Checks ReadinessChecks `json:"checks"`
}

// ReadinessChecks contains the outcome of each readiness check: "ok", or a
// short reason that names no host, user or password.
type ReadinessChecks struct {
	Database string `json:"database"`
	Queue    string `json:"queue"`
}

// checkOK is the outcome of a check that passed.
const checkOK = "ok"

// CheckError is a failed readiness check whose Reason GET /readyz shows in
// place of its generic message. Reason must name no host, user or password,
// because the endpoint needs no authentication. Err goes to the log.
type CheckError struct {
	Reason string
	Err    error
}

// Error returns the reason and the wrapped error.
func (e *CheckError) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *CheckError) Unwrap() error { return e.Err }

// readyz serves GET /readyz: 200 when the database responds to a ping
// within the timeout, can commit a write where Readiness.WriteFunc checks
// it, and the job queue runs, 503 otherwise. It needs no
// authentication, so the body names the failed checks but never the error,
// which could contain the database's host or user. The error goes to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.opts.Readiness
	if rd == nil {
		rd = &Readiness{}
	}
	body := ReadinessBody{Database: rd.Database}

	var pingErr error
	body.Checks.Database, pingErr = rd.checkDatabase(r.Context())

	switch {
	case rd.QueueRunningFunc == nil:
		body.Checks.Queue = "not checked: the server gave no queue check"
	case rd.QueueRunningFunc():
		body.Checks.Queue = checkOK
	default:
		body.Checks.Queue = "not running: the job queue has not started or is stopping"
	}

	ready := body.Checks.Database == checkOK && body.Checks.Queue == checkOK
	status := http.StatusOK
	body.Status = "ready"
	if !ready {
		status = http.StatusServiceUnavailable
		body.Status = "not ready"
	}

	s.logReadinessChange(rd, ready, body, pingErr)
	writeJSON(w, status, body)
}

// checkDatabase pings the database, then checks a write, within the
// timeout. It returns the check's outcome for the response, and the error
// for the log.
func (rd *Readiness) checkDatabase(ctx context.Context) (string, error) {
	if rd.PingFunc == nil {
		return "not checked: the server gave no database check", nil
	}

	timeout := rd.Timeout
	if timeout <= 0 {
		timeout = DefaultReadinessTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	step := "ping"
	err := rd.PingFunc(ctx)
	if err == nil && rd.WriteFunc != nil {
		step = "write"
		err = rd.WriteFunc(ctx)
	}

	var checkErr *CheckError
	switch {
	case err == nil:
		return checkOK, nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", timeout), err
	case ctx.Err() != nil:
		return "not checked: the request was canceled", err
	case errors.As(err, &checkErr):
		return checkErr.Reason, err
	}
	return step + " failed: the server log has the error", err
}

// logReadinessChange logs when this replica becomes ready or stops being
// ready, once per change rather than on every probe.
func (s *Server) logReadinessChange(rd *Readiness, ready bool, body ReadinessBody, pingErr error) {
	state := readinessNotReady
	if ready {
		state = readinessReady
	}
	previous := rd.lastState.Swap(state)
	if previous == state {
		return
	}

	if ready {
		if previous == readinessNotReady {
			s.log.Info("ready again: the database responds and the job queue runs", "database", body.Database)
		}
		return
	}
	s.log.Warn("not ready: /readyz returns 503 until the checks pass",
		"database", body.Database, "databaseCheck", body.Checks.Database, "queueCheck", body.Checks.Queue, "error", pingErr)
}
