package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/fieldlink/fieldlink/httpapi"
)

// fakeSettings records the values the write check stores and fails with
// err when it is set.
type fakeSettings struct {
	values []string
	err    error
}

func (f *fakeSettings) set(_ context.Context, key, value string) error {
	if key != writeCheckSetting {
		return fmt.Errorf("write check stored key %q, want %q", key, writeCheckSetting)
	}
	f.values = append(f.values, value)
	return f.err
}

func TestWriteCheckReusedWithinInterval(t *testing.T) {
	settings := &fakeSettings{}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &writeCheck{setFunc: settings.set, now: func() time.Time { return now }}
	ctx := context.Background()

	for _, step := range []time.Duration{0, writeCheckInterval / 2, writeCheckInterval, writeCheckInterval / 2} {
		now = now.Add(step)
		if err := c.check(ctx); err != nil {
			t.Fatalf("check at %s: %v", now, err)
		}
	}
	if len(settings.values) != 2 {
		t.Errorf("%d writes over %s of probes, want 2: one per interval", len(settings.values), 2*writeCheckInterval)
	}
}

func TestWriteCheckDiskFullReason(t *testing.T) {
	full := fmt.Errorf("commit: %w", syscall.ENOSPC)
	settings := &fakeSettings{err: full}
	c := &writeCheck{setFunc: settings.set, now: time.Now}

	err := c.check(context.Background())
	var checkErr *httpapi.CheckError
	if !errors.As(err, &checkErr) {
		t.Fatalf("check error = %v, want an *httpapi.CheckError", err)
	}
	if want := "write failed: the disk holding the database is full"; !strings.HasPrefix(checkErr.Reason, want) {
		t.Errorf("reason = %q, want it to start with %q", checkErr.Reason, want)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("check error %v does not wrap the write's error", err)
	}
}

func TestWriteCheckOtherErrorKept(t *testing.T) {
	failed := errors.New("attempt to write a readonly database (8)")
	c := &writeCheck{setFunc: (&fakeSettings{err: failed}).set, now: time.Now}

	err := c.check(context.Background())
	var checkErr *httpapi.CheckError
	if errors.As(err, &checkErr) {
		t.Errorf("check error = %v, want no disk-full reason for another failure", err)
	}
	if !errors.Is(err, failed) {
		t.Errorf("check error = %v, want %v", err, failed)
	}
}

func TestWriteCheckCanceledNotReused(t *testing.T) {
	settings := &fakeSettings{}
	c := &writeCheck{setFunc: settings.set, now: time.Now}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	c.check(canceled)
	if err := c.check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(settings.values) != 2 {
		t.Errorf("%d writes, want 2: a canceled probe's outcome is not reused", len(settings.values))
	}
}

func TestUnreachableClassifiesPingErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connection dropped", fmt.Errorf("ping: %w", io.ErrUnexpectedEOF), true},
		{"database dropped", fmt.Errorf("connect: %w", &pgconn.PgError{Code: "3D000", Message: "database does not exist"}), false},
		{"other", errors.New("tls: bad certificate"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unreachable(tt.err); got != tt.want {
				t.Errorf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
