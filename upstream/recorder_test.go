package upstream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// healthStore is a DatasourceStore that keeps the health writes and
// implements nothing else.
type healthStore struct {
	fieldlink.DatasourceStore

	mu     sync.Mutex
	writes []fieldlink.DatasourceHealth
	err    error
}

func (s *healthStore) SetDatasourceHealth(_ context.Context, _ string, h fieldlink.DatasourceHealth) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.writes = append(s.writes, h)
	return nil
}

func (s *healthStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes)
}

func (s *healthStore) last() fieldlink.DatasourceHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[len(s.writes)-1]
}

// recorderSetup is a StoreRecorder on a healthStore with a clock that tests
// move by hand.
type recorderSetup struct {
	recorder *StoreRecorder
	store    *healthStore
	now      time.Time
	ds       fieldlink.Datasource
}

func newRecorderSetup() *recorderSetup {
	s := &recorderSetup{
		store: &healthStore{},
		now:   time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		ds: fieldlink.Datasource{
			ID:        "ds-graph",
			UpdatedAt: time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC),
			Auth:      fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "secret-token-1"},
		},
	}
	s.recorder = NewStoreRecorder(s.store, nil)
	s.recorder.now = func() time.Time { return s.now }
	return s
}

func TestStoreRecorderLimitsSuccessWrites(t *testing.T) {
	s := newRecorderSetup()
	ctx := t.Context()

	s.recorder.RecordSuccess(ctx, s.ds)
	s.now = s.now.Add(30 * time.Second)
	s.recorder.RecordSuccess(ctx, s.ds)
	afterHalfMinute := s.store.count()
	s.now = s.now.Add(30 * time.Second)
	s.recorder.RecordSuccess(ctx, s.ds)

	if afterHalfMinute != 1 {
		t.Errorf("writes after two successes within a minute = %d, want 1", afterHalfMinute)
	}
	if got := s.store.count(); got != 2 {
		t.Errorf("writes after a minute = %d, want 2", got)
	}
	if got := s.store.last().LastSuccessAt; !got.Equal(s.now) {
		t.Errorf("LastSuccessAt = %s, want %s", got, s.now)
	}
}

func TestStoreRecorderWritesStateChanges(t *testing.T) {
	s := newRecorderSetup()
	ctx := t.Context()
	failure := errors.New("GET https://api.example/users: connection refused")

	s.recorder.RecordSuccess(ctx, s.ds)
	s.now = s.now.Add(time.Second)
	s.recorder.RecordFailure(ctx, s.ds, failure, false)
	s.now = s.now.Add(time.Second)
	s.recorder.RecordFailure(ctx, s.ds, failure, false)
	afterRepeat := s.store.count()
	s.now = s.now.Add(time.Second)
	s.recorder.RecordFailure(ctx, s.ds, errors.New("GET https://api.example/users: timed out"), false)
	afterNewError := s.store.count()
	s.now = s.now.Add(time.Second)
	s.recorder.RecordSuccess(ctx, s.ds)

	if afterRepeat != 2 {
		t.Errorf("writes after a repeated failure = %d, want 2", afterRepeat)
	}
	if afterNewError != 3 {
		t.Errorf("writes after a different failure = %d, want 3", afterNewError)
	}
	if got := s.store.count(); got != 4 {
		t.Errorf("writes after recovery = %d, want 4", got)
	}
	last := s.store.last()
	if last.LastError != "GET https://api.example/users: timed out" {
		t.Errorf("LastError = %q, want the latest failure kept after recovery", last.LastError)
	}
	if !last.LastSuccessAt.After(last.LastErrorAt) {
		t.Errorf("health = %+v, want the success after the error", last)
	}
}

func TestStoreRecorderConfigError(t *testing.T) {
	s := newRecorderSetup()
	ctx := t.Context()

	s.recorder.RecordFailure(ctx, s.ds, errors.New("token request rejected secret-token-1"), true)
	unhealthy := s.store.last()
	s.now = s.now.Add(time.Second)
	s.recorder.RecordSuccess(ctx, s.ds)

	if !unhealthy.Unhealthy || !unhealthy.ConfigVersion.Equal(s.ds.UpdatedAt) {
		t.Errorf("health = %+v, want unhealthy for UpdatedAt %s", unhealthy, s.ds.UpdatedAt)
	}
	if strings.Contains(unhealthy.LastError, "secret-token-1") {
		t.Errorf("LastError = %q contains the token", unhealthy.LastError)
	}
	if s.store.last().Unhealthy {
		t.Errorf("health after a success = %+v, want healthy", s.store.last())
	}
}

func TestStoreRecorderStartsFromStoredHealth(t *testing.T) {
	s := newRecorderSetup()
	s.ds.Health = fieldlink.DatasourceHealth{LastSuccessAt: s.now.Add(-10 * time.Second), LastTestAt: s.now.Add(-time.Hour)}

	s.recorder.RecordSuccess(t.Context(), s.ds)

	if got := s.store.count(); got != 0 {
		t.Errorf("writes = %d, want 0 within a minute of the stored success", got)
	}
}

func TestStoreRecorderRecordTest(t *testing.T) {
	s := newRecorderSetup()
	ctx := t.Context()
	s.ds.Health = fieldlink.DatasourceHealth{Unhealthy: true, ConfigVersion: s.ds.UpdatedAt, LastError: "invalid_client", LastErrorAt: s.now.Add(-time.Hour)}
	failed := fieldlink.TestResult{Status: StatusAPIRequestFailed, Steps: []fieldlink.TestStep{
		{Name: StepToken, OK: true, Message: "Requests carry the saved bearer token."},
		{Name: StepRequest, Message: "GET https://api.example/users returned 403 Forbidden"},
	}}

	s.recorder.RecordTest(ctx, s.ds, failed)
	afterFailure := s.store.last()
	s.now = s.now.Add(time.Second)
	s.recorder.RecordTest(ctx, s.ds, fieldlink.TestResult{OK: true, Status: fieldlink.StatusValidCredentials})
	afterSuccess := s.store.last()
	draft := s.ds
	draft.UpdatedAt = time.Time{}
	s.recorder.RecordTest(ctx, draft, failed)

	if afterFailure.LastError != "GET https://api.example/users returned 403 Forbidden" || !afterFailure.LastTestAt.Equal(s.now.Add(-time.Second)) {
		t.Errorf("health after a failed test = %+v, want the failed step and LastTestAt", afterFailure)
	}
	if !afterFailure.Unhealthy {
		t.Errorf("health after a failed test = %+v, want the configuration error kept", afterFailure)
	}
	if afterSuccess.Unhealthy || !afterSuccess.LastSuccessAt.Equal(s.now) || !afterSuccess.LastTestAt.Equal(s.now) {
		t.Errorf("health after a passed test = %+v, want healthy with LastSuccessAt and LastTestAt %s", afterSuccess, s.now)
	}
	if got := s.store.count(); got != 2 {
		t.Errorf("writes = %d, want 2 with the draft's test left out", got)
	}
}

func TestStoreRecorderRetriesFailedWrite(t *testing.T) {
	s := newRecorderSetup()
	s.store.err = errors.New("database is locked")

	s.recorder.RecordSuccess(t.Context(), s.ds)
	s.store.err = nil
	s.recorder.RecordSuccess(t.Context(), s.ds)

	if got := s.store.count(); got != 1 {
		t.Errorf("writes = %d, want the second success written after the first write failed", got)
	}
}
