package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestReadyzWriteCheckReason(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	full := &CheckError{Reason: "write failed: the disk is full", Err: errors.New("database or disk is full (13)")}
	a := newReadyAPI(t, db, &Readiness{WriteFunc: func(context.Context) error { return full }})

	status, body := a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if body.Checks.Database != full.Reason {
		t.Errorf("database check = %q, want the check's reason %q", body.Checks.Database, full.Reason)
	}
	if body.Checks.Queue != "ok" {
		t.Errorf("queue check = %q, want ok", body.Checks.Queue)
	}
	if logs := a.logs.String(); !strings.Contains(logs, "database or disk is full (13)") {
		t.Errorf("log lacks the write error:\n%s", logs)
	}
}

func TestReadyzWriteCheckGenericError(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	failing := errors.New("attempt to write a readonly database (8) at /var/lib/fieldlink/fieldlink.db")
	a := newReadyAPI(t, db, &Readiness{WriteFunc: func(context.Context) error { return failing }})

	status, body := a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if want := "write failed: the server log has the error"; body.Checks.Database != want {
		t.Errorf("database check = %q, want %q, which names no path", body.Checks.Database, want)
	}
}

func TestReadyzWriteCheckAfterPing(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	var writes atomic.Int32
	var pingFails atomic.Bool
	pingFails.Store(true)
	ping := func(context.Context) error {
		if pingFails.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	a := newReadyAPI(t, db, &Readiness{
		PingFunc:  ping,
		WriteFunc: func(context.Context) error { writes.Add(1); return nil },
	})

	_, body := a.readyz()
	if want := "ping failed: the server log has the error"; body.Checks.Database != want {
		t.Errorf("database check = %q, want %q", body.Checks.Database, want)
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("write check ran %d times after a failed ping, want 0", n)
	}

	pingFails.Store(false)
	status, body := a.readyz()
	if status != http.StatusOK || body.Checks.Database != "ok" {
		t.Errorf("after the ping passes: status %d, database check %q; want 200 and ok", status, body.Checks.Database)
	}
	if n := writes.Load(); n != 1 {
		t.Errorf("write check ran %d times, want 1", n)
	}
}
