package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/store"
)

// errDatabaseDown is what a store returns while its database server cannot
// be reached.
var errDatabaseDown = errors.New("failed to connect to `user=fieldlink database=fieldlink`: dial tcp 127.0.0.1:5432: connect: connection refused")

// unreachableHookStore is the real store whose hook reads fail as while the
// database server is unreachable.
type unreachableHookStore struct {
	*store.DB
}

func (unreachableHookStore) FindHook(context.Context, string) (fieldlink.Hook, error) {
	return fieldlink.Hook{}, errDatabaseDown
}

func (unreachableHookStore) ListHooks(context.Context) ([]fieldlink.Hook, error) {
	return nil, errDatabaseDown
}

// failingQueue fails every Enqueue, as a full disk does.
type failingQueue struct{}

func (failingQueue) Enqueue(context.Context, *fieldlink.Event) (bool, error) {
	return false, errors.New("intake of ITH-1: commit: database or disk is full (13)")
}

// newUnavailableAPI stores a hook through the API, then serves the API
// again with the store that wrap makes of the database, and with queue.
// A nil wrap or queue keeps the real one.
func newUnavailableAPI(t *testing.T, wrap func(*store.DB) Store, queue EventQueue) (*apiSetup, HookBody) {
	t.Helper()
	a := newAPI(t)
	hook := hookSetup(t, a)

	var st Store = a.db
	if wrap != nil {
		st = wrap(a.db)
	}
	if queue == nil {
		queue = a.queue
	}
	srv := httptest.NewServer(New(Options{
		Store:            st,
		Items:            a.items,
		ValidateItemFunc: item.Validate,
		Queue:            queue,
		AdminTokenHash:   sha256.Sum256([]byte(adminToken)),
		Logger:           slog.New(slog.NewTextHandler(a.logs, nil)),
	}))
	t.Cleanup(srv.Close)
	a.srv = srv
	return a, hook
}

func TestIntakeDatabaseUnavailable(t *testing.T) {
	unreachable := func(db *store.DB) Store { return unreachableHookStore{db} }
	tests := []struct {
		name       string
		wrap       func(*store.DB) Store
		queue      EventQueue
		bare       bool
		wantPrefix string
	}{
		{"hook not read", unreachable, nil, false, "the hook could not be read"},
		{"hooks not listed", unreachable, nil, true, "the hooks could not be read"},
		{"event not stored", nil, failingQueue{}, false, "the event could not be stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, hook := newUnavailableAPI(t, tt.wrap, tt.queue)
			path := "/hooks/jira/" + hook.ID
			if tt.bare {
				path = "/hooks/jira"
			}
			body := webhookBody("ITH-1")
			signature := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, body))

			r := a.call("POST", path, "", body, "X-Hub-Signature", signature)

			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("status = %d (%s), want 503 so that Jira delivers the webhook again", r.status, r.body)
			}
			got := decodeBody[ErrorBody](t, r).Error.Message
			if !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("message = %q, want it to start with %q", got, tt.wantPrefix)
			}
			if !strings.Contains(got, "Jira will deliver the webhook again") {
				t.Errorf("message = %q, want it to say that Jira delivers the webhook again", got)
			}
			if strings.Contains(got, "127.0.0.1") || strings.Contains(got, "(13)") {
				t.Errorf("message = %q, want the error in the log only", got)
			}
			if logs := a.logs.String(); !strings.Contains(logs, "level=ERROR") {
				t.Errorf("log has no error record for the failed delivery:\n%s", logs)
			}
		})
	}
}
