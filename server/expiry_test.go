package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

func TestLogExpiringWarnsOncePerSecret(t *testing.T) {
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for name, expires := range map[string]time.Time{
		"Soon":  now.Add(5 * 24 * time.Hour),
		"Later": now.Add(90 * 24 * time.Hour),
		"Gone":  now.Add(-24 * time.Hour),
	} {
		ds := fieldlink.Datasource{Name: name, BaseURL: "http://127.0.0.1:9", Auth: fieldlink.Auth{
			Mode: fieldlink.AuthBearer, Token: "t", SecretExpiresAt: expires}}
		if err := db.CreateDatasource(context.Background(), &ds); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer

	n := logExpiring(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)), now)

	if n != 2 {
		t.Errorf("logged %d warnings, want 2 (expiring and expired)", n)
	}
	for _, want := range []string{"name=Soon", "name=Gone", "datasource secret expired", "datasource secret expiring"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "name=Later") {
		t.Errorf("log warns about a secret 90 days from expiry:\n%s", logs.String())
	}
}
