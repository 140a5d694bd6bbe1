package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// readySetup is an API whose /readyz checks a real database and a queue
// flag the test sets.
type readySetup struct {
	*apiSetup
	queueRunning *atomic.Bool
}

// newReadyAPI serves the API with the readiness checks of rd, filling in a
// ping of db and the queue flag where rd leaves them nil.
func newReadyAPI(t *testing.T, db *store.DB, rd *Readiness) *readySetup {
	t.Helper()
	running := &atomic.Bool{}
	running.Store(true)
	if rd.PingFunc == nil {
		rd.PingFunc = func(ctx context.Context) error { return db.SQL().PingContext(ctx) }
	}
	if rd.QueueRunningFunc == nil {
		rd.QueueRunningFunc = running.Load
	}
	if rd.Database == "" {
		rd.Database = db.Backend()
	}

	a := &apiSetup{t: t, db: db, router: loadOpenAPI(t), logs: &syncBuffer{}}
	a.srv = httptest.NewServer(New(Options{
		Store:     db,
		Readiness: rd,
		Logger:    slog.New(slog.NewTextHandler(a.logs, nil)),
	}))
	t.Cleanup(a.srv.Close)
	return &readySetup{apiSetup: a, queueRunning: running}
}

func newSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return sealer
}

// openSQLite opens a store on a new SQLite file; the caller closes it.
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fieldlink.db"), newSealer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// readyz calls GET /readyz, checks the response against docs/openapi.yaml
// and decodes it.
func (a *readySetup) readyz() (int, ReadinessBody) {
	a.t.Helper()
	r := a.call("GET", "/readyz", "", nil)
	return r.status, decodeBody[ReadinessBody](a.t, r)
}

func TestReadyzSQLiteReady(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	a := newReadyAPI(t, db, &Readiness{})

	status, body := a.readyz()
	if status != http.StatusOK {
		t.Errorf("status = %d, want 200; body %+v", status, body)
	}
	want := ReadinessBody{Status: "ready", Database: "sqlite", Checks: ReadinessChecks{Database: "ok", Queue: "ok"}}
	if body != want {
		t.Errorf("body = %+v, want %+v", body, want)
	}
}

func TestReadyzClosedDatabase(t *testing.T) {
	db := openSQLite(t)
	a := newReadyAPI(t, db, &Readiness{})
	if status, body := a.readyz(); status != http.StatusOK {
		t.Fatalf("before closing the database: status = %d, body %+v", status, body)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	status, body := a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if body.Status != "not ready" {
		t.Errorf("status field = %q, want \"not ready\"", body.Status)
	}
	if body.Checks.Database == "ok" || body.Checks.Database == "" {
		t.Errorf("database check = %q, want the reason it failed", body.Checks.Database)
	}
	if body.Checks.Queue != "ok" {
		t.Errorf("queue check = %q, want ok", body.Checks.Queue)
	}
	if got := a.call("GET", "/healthz", "", nil); got.status != http.StatusOK {
		t.Errorf("/healthz with the database closed = %d, want 200: liveness must not depend on the database", got.status)
	}
}

func TestReadyzQueueNotRunning(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	a := newReadyAPI(t, db, &Readiness{})
	a.queueRunning.Store(false)

	status, body := a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if !strings.HasPrefix(body.Checks.Queue, "not running") {
		t.Errorf("queue check = %q, want it to start with \"not running\"", body.Checks.Queue)
	}
	if body.Checks.Database != "ok" {
		t.Errorf("database check = %q, want ok", body.Checks.Database)
	}
}

func TestReadyzPingTimeout(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	hang := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	a := newReadyAPI(t, db, &Readiness{PingFunc: hang, Timeout: 50 * time.Millisecond})

	status, body := a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if want := "no answer within 50ms"; body.Checks.Database != want {
		t.Errorf("database check = %q, want %q", body.Checks.Database, want)
	}
}

func TestReadyzWithoutChecks(t *testing.T) {
	a := newAPI(t)

	r := a.call("GET", "/readyz", "", nil)
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("status without readiness checks = %d, want 503", r.status)
	}
	body := decodeBody[ReadinessBody](t, r)
	if !strings.HasPrefix(body.Checks.Database, "not checked") || !strings.HasPrefix(body.Checks.Queue, "not checked") {
		t.Errorf("checks = %+v, want both \"not checked\"", body.Checks)
	}
}

func TestReadyzLogsChangesOnce(t *testing.T) {
	db := openSQLite(t)
	t.Cleanup(func() { db.Close() })
	a := newReadyAPI(t, db, &Readiness{})

	a.readyz()
	a.queueRunning.Store(false)
	for range 3 {
		a.readyz()
	}
	a.queueRunning.Store(true)
	a.readyz()
	a.readyz()

	logs := a.logs.String()
	if n := strings.Count(logs, "not ready"); n != 1 {
		t.Errorf("logged \"not ready\" %d times over 3 failed probes, want once:\n%s", n, logs)
	}
	if n := strings.Count(logs, "ready again"); n != 1 {
		t.Errorf("logged \"ready again\" %d times, want once:\n%s", n, logs)
	}
}

func TestReadyzPostgresDropped(t *testing.T) {
	const password = "MARKER-db-password-5e1f"
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	// The local server trusts its clients, so it never requests the
	// password, but the URL carries one that must appear nowhere.
	u.User = url.UserPassword(u.User.Username(), password)

	db, err := store.Open(context.Background(), u.String(), newSealer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := newReadyAPI(t, db, &Readiness{})

	status, body := a.readyz()
	if status != http.StatusOK || body.Database != "postgres" {
		t.Fatalf("before dropping the database: status = %d, body %+v, want 200 on postgres", status, body)
	}

	dropDatabase(t, name)

	status, body = a.readyz()
	if status != http.StatusServiceUnavailable {
		t.Errorf("status after dropping the database = %d, want 503", status)
	}
	if body.Checks.Database == "ok" {
		t.Errorf("database check = ok after dropping the database")
	}
	raw := a.call("GET", "/readyz", "", nil).body
	for _, secret := range []string{password, name} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("response contains %q: %s", secret, raw)
		}
	}
	if strings.Contains(a.logs.String(), password) {
		t.Errorf("log contains the database password:\n%s", a.logs.String())
	}
}

// dropDatabase drops a test database while the store still holds
// connections to it, as an outage would take it away.
func dropDatabase(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatalf("connect to drop %s: %v", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatalf("drop %s: %v", name, err)
	}
}
