package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/upstream"
)

// recordedEvent is one call to eventRecorder.
type recordedEvent struct {
	kind        string // "success", "failure" or "test"
	configError bool
	err         error
	status      string
}

// eventRecorder is a HealthRecorder that keeps every call.
type eventRecorder struct {
	mu     sync.Mutex
	events []recordedEvent
}

func (r *eventRecorder) add(e recordedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *eventRecorder) RecordSuccess(context.Context, fieldlink.Datasource) {
	r.add(recordedEvent{kind: "success"})
}

func (r *eventRecorder) RecordFailure(_ context.Context, _ fieldlink.Datasource, err error, configError bool) {
	r.add(recordedEvent{kind: "failure", err: err, configError: configError})
}

func (r *eventRecorder) RecordTest(_ context.Context, _ fieldlink.Datasource, result fieldlink.TestResult) {
	r.add(recordedEvent{kind: "test", status: result.Status})
}

func (r *eventRecorder) recorded() []recordedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedEvent(nil), r.events...)
}

func newRecordingClient(recorder upstream.HealthRecorder) *upstream.Client {
	out := outbound.New(outbound.Options{AllowLoopback: true})
	return upstream.New(out, credential.NewCache(out.For, nil), nil, upstream.WithRecorder(recorder), upstream.WithClock(instantClock{}))
}

// rejectingTokenServer responds to every token request with Entra ID's
// response to a wrong client secret, and counts the requests.
func rejectingTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestDoRecordsOutcome(t *testing.T) {
	tests := []struct {
		name            string
		tokenRejected   bool
		apiStatus       int
		wantKind        string
		wantConfigError bool
	}{
		{name: "success", apiStatus: http.StatusOK, wantKind: "success"},
		{name: "not found is a success", apiStatus: http.StatusNotFound, wantKind: "success"},
		{name: "forbidden", apiStatus: http.StatusForbidden, wantKind: "failure"},
		{name: "server error", apiStatus: http.StatusServiceUnavailable, wantKind: "failure"},
		{name: "wrong secret", tokenRejected: true, wantKind: "failure", wantConfigError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t)
			if tt.tokenRejected {
				ts = rejectingTokenServer(t)
			}
			api := newAPIServer(t, func(*http.Request) (int, string) { return tt.apiStatus, `{}` })
			recorder := &eventRecorder{}

			newRecordingClient(recorder).Do(t.Context(), oauthDatasource(ts, api), fieldlink.UpstreamRequest{Path: "/users"})

			events := recorder.recorded()
			if len(events) != 1 {
				t.Fatalf("events = %+v, want one", events)
			}
			if events[0].kind != tt.wantKind || events[0].configError != tt.wantConfigError {
				t.Errorf("event = %+v, want %s with configError %v", events[0], tt.wantKind, tt.wantConfigError)
			}
		})
	}
}

func TestDoRecordsInvalidSettingsAsConfigError(t *testing.T) {
	recorder := &eventRecorder{}
	ds := fieldlink.Datasource{ID: "ds-1", BaseURL: "http://127.0.0.1:1", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer}}

	_, err := newRecordingClient(recorder).Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"})

	events := recorder.recorded()
	if len(events) != 1 || !events[0].configError || events[0].err != err {
		t.Errorf("events = %+v, want one configuration failure with %v", events, err)
	}
}

func TestDoSkipsRecordWhenCanceled(t *testing.T) {
	recorder := &eventRecorder{}
	ts := newTokenServer(t)
	api := graphAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := newRecordingClient(recorder).Do(ctx, oauthDatasource(ts, api), fieldlink.UpstreamRequest{Path: "/users"})

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do error = %v, want context.Canceled", err)
	}
	if events := recorder.recorded(); len(events) != 0 {
		t.Errorf("events = %+v, want none for a canceled request", events)
	}
}

func TestTestRecordsResult(t *testing.T) {
	recorder := &eventRecorder{}
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.TestPath = "/users?$top=1"

	newRecordingClient(recorder).Test(t.Context(), ds)

	events := recorder.recorded()
	if len(events) != 1 || events[0].kind != "test" || events[0].status != fieldlink.StatusValidAccessToken {
		t.Errorf("events = %+v, want one test with %s", events, fieldlink.StatusValidAccessToken)
	}
}

func TestDoRefusesUnhealthyDatasource(t *testing.T) {
	ts := newTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.UpdatedAt = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	ds.Health = fieldlink.DatasourceHealth{
		Unhealthy:     true,
		ConfigVersion: ds.UpdatedAt,
		LastError:     "token request failed with status 401 Unauthorized: invalid_client",
		LastErrorAt:   ds.UpdatedAt.Add(time.Minute),
	}
	client := newClient()

	_, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"})

	var unhealthy *upstream.UnhealthyError
	if !errors.As(err, &unhealthy) {
		t.Fatalf("Do error = %v, want *upstream.UnhealthyError", err)
	}
	if unhealthy.LastError != ds.Health.LastError {
		t.Errorf("LastError = %q, want %q", unhealthy.LastError, ds.Health.LastError)
	}
	wantMessage := "datasource ds-graph is stopped until its configuration is fixed, after token request failed with status 401 Unauthorized: invalid_client: correct the settings, save the datasource and run Test connection"
	if err.Error() != wantMessage {
		t.Errorf("message = %q, want %q", err, wantMessage)
	}
	if got := ts.requests.Load(); got != 0 {
		t.Errorf("token requests = %d, want 0", got)
	}

	// Once the datasource is saved again, its new settings are tried.
	ds.UpdatedAt = ds.UpdatedAt.Add(time.Hour)
	if _, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users"}); err != nil {
		t.Errorf("Do after a save = %v, want success", err)
	}
}

// openStore opens a SQLite store in a temporary folder.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatalf("seal.New: %v", err)
	}
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConfigErrorStopsRequestsUntilSaved(t *testing.T) {
	db := openStore(t)
	ts := rejectingTokenServer(t)
	api := graphAPI(t)
	ds := oauthDatasource(ts, api)
	ds.ID = ""
	if err := db.CreateDatasource(t.Context(), &ds); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	out := outbound.New(outbound.Options{AllowLoopback: true})
	// A new credential cache per call stands for a restarted replica, which
	// remembers nothing but what the store holds.
	doOnce := func() error {
		t.Helper()
		stored, err := db.FindDatasource(t.Context(), ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		client := upstream.New(out, credential.NewCache(out.For, nil), nil, upstream.WithRecorder(upstream.NewStoreRecorder(db, nil)))
		_, err = client.Do(t.Context(), stored, fieldlink.UpstreamRequest{Path: "/users"})
		return err
	}

	first := doOnce()
	second := doOnce()

	if !credential.IsConfigError(first) {
		t.Fatalf("first Do = %v, want the token endpoint's configuration error", first)
	}
	var unhealthy *upstream.UnhealthyError
	if !errors.As(second, &unhealthy) {
		t.Fatalf("second Do = %v, want *upstream.UnhealthyError", second)
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
	stored, err := db.FindDatasource(t.Context(), ds.ID)
	if err != nil {
		t.Fatalf("FindDatasource: %v", err)
	}
	if !stored.Health.Unhealthy || stored.Health.LastError == "" {
		t.Errorf("stored health = %+v, want unhealthy with the error", stored.Health)
	}

	if err := db.UpdateDatasource(t.Context(), &stored); err != nil {
		t.Fatalf("UpdateDatasource: %v", err)
	}
	third := doOnce()
	if !credential.IsConfigError(third) {
		t.Errorf("Do after a save = %v, want a new token request and its error", third)
	}
	if got := ts.requests.Load(); got != 2 {
		t.Errorf("token requests after a save = %d, want 2", got)
	}
}
