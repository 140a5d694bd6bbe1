package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/server"
)

// startOn starts a server on database, or on the SQLite file in a new data
// folder when database is empty.
func startOn(t *testing.T, database string) (*server.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), Database: database, AdminToken: adminToken,
		MasterKey: testMasterKey, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, logs
}

// getReadyz calls GET /readyz without credentials.
func getReadyz(t *testing.T, srv *server.Server) (int, httpapi.ReadinessBody, string) {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body httpapi.ReadinessBody
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("decode /readyz body %s: %v", raw, err)
	}
	return resp.StatusCode, body, string(raw)
}

func TestServerReadyOnSQLite(t *testing.T) {
	srv, _ := startOn(t, "")

	status, body, raw := getReadyz(t, srv)
	if status != http.StatusOK {
		t.Errorf("status = %d, want 200: %s", status, raw)
	}
	want := httpapi.ReadinessBody{Status: "ready", Database: "sqlite", Checks: httpapi.ReadinessChecks{Database: "ok", Queue: "ok"}}
	if body != want {
		t.Errorf("body = %+v, want %+v", body, want)
	}
}

func TestServerNotReadyWhenPostgresGone(t *testing.T) {
	const password = "MARKER-server-db-password-77a0"
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	// The local server trusts its clients and never requests the password.
	u.User = url.UserPassword(u.User.Username(), password)
	srv, logs := startOn(t, u.String())

	status, body, raw := getReadyz(t, srv)
	if status != http.StatusOK || body.Database != "postgres" {
		t.Fatalf("before the outage: status = %d, body %s, want 200 on postgres", status, raw)
	}

	dropDatabase(t, name)

	status, body, raw = getReadyz(t, srv)
	if status != http.StatusServiceUnavailable {
		t.Errorf("status with the database dropped = %d, want 503: %s", status, raw)
	}
	if body.Checks.Database == "ok" {
		t.Errorf("database check = ok with the database dropped")
	}
	if body.Checks.Queue != "ok" {
		t.Errorf("queue check = %q, want ok: the queue keeps running through an outage", body.Checks.Queue)
	}
	if strings.Contains(raw, password) || strings.Contains(raw, name) {
		t.Errorf("body names the database or its password: %s", raw)
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("log contains the database password")
	}

	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz with the database dropped = %d, want 200", resp.StatusCode)
	}
}

// dropDatabase drops a test database while the server holds connections to
// it, as an outage would take it away.
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
