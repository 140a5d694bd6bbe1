package upstream

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// successWriteInterval is how often StoreRecorder writes the health of a
// datasource whose requests keep succeeding, or keep failing the same way.
const successWriteInterval = time.Minute

// maxRecordedErrorBytes bounds the LastError that StoreRecorder writes.
const maxRecordedErrorBytes = 1000

// Health states of a datasource, as StoreRecorder tracks them.
const (
	stateOK        = "ok"
	stateFailing   = "failing"
	stateUnhealthy = "unhealthy"
)

// StoreRecorder is a HealthRecorder that writes to a datasource store. It
// writes a state change (success to failure, a new error, a configuration
// error) at once and a repeat of the same state at most once a minute per
// datasource, so busy datasources do not write on every request. It is safe
// for concurrent use.
type StoreRecorder struct {
	store  fieldlink.DatasourceStore
	logger *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	latest map[string]recorded
}

// recorded is the health StoreRecorder last wrote for a datasource, with
// its state and the time of the write.
type recorded struct {
	health    fieldlink.DatasourceHealth
	state     string
	writtenAt time.Time
}

var _ HealthRecorder = (*StoreRecorder)(nil)

// NewStoreRecorder returns a StoreRecorder that writes through
// store.SetDatasourceHealth. A nil logger discards.
func NewStoreRecorder(store fieldlink.DatasourceStore, logger *slog.Logger) *StoreRecorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &StoreRecorder{store: store, logger: logger, now: time.Now, latest: make(map[string]recorded)}
}

// RecordSuccess records LastSuccessAt and clears a configuration error of
// ds's current settings, which the success disproves.
func (r *StoreRecorder) RecordSuccess(ctx context.Context, ds fieldlink.Datasource) {
	r.record(ctx, ds, stateOK, func(h *fieldlink.DatasourceHealth, now time.Time) {
		h.LastSuccessAt = now
		h.Unhealthy = false
	})
}

// RecordFailure records LastErrorAt and LastError, with the secrets of ds
// redacted. A configuration error also marks ds's current settings, its
// UpdatedAt, as unhealthy, so Do refuses requests until they change.
func (r *StoreRecorder) RecordFailure(ctx context.Context, ds fieldlink.Datasource, err error, configError bool) {
	message := truncateMessage(outbound.Redact(err.Error(), secretsOf(ds.Auth)...))
	state := stateFailing
	if configError {
		state = stateUnhealthy
	}

	r.record(ctx, ds, state, func(h *fieldlink.DatasourceHealth, now time.Time) {
		h.LastErrorAt = now
		h.LastError = message
		if configError {
			h.Unhealthy = true
			h.ConfigVersion = ds.UpdatedAt
		}
	})
}

// RecordTest records LastTestAt and the test's outcome, always at once
// because LastTestAt changes. A passing test clears a configuration error. A
// test of unsaved settings, which have no UpdatedAt, is not recorded,
// because its outcome does not describe the saved settings.
func (r *StoreRecorder) RecordTest(ctx context.Context, ds fieldlink.Datasource, result fieldlink.TestResult) {
	if ds.UpdatedAt.IsZero() {
		return
	}

	state := stateOK
	var message string
	if !result.OK {
		state = stateFailing
		message = result.Status
		for _, step := range result.Steps {
			if !step.OK {
				message = truncateMessage(outbound.Redact(step.Message, secretsOf(ds.Auth)...))
			}
		}
	}

	r.record(ctx, ds, state, func(h *fieldlink.DatasourceHealth, now time.Time) {
		h.LastTestAt = now
		if result.OK {
			h.LastSuccessAt = now
			h.Unhealthy = false
			return
		}
		h.LastErrorAt = now
		h.LastError = message
	})
}

// record applies change to the latest health of ds and writes it when the
// state, the error or LastTestAt changed, or when the last write is
// successWriteInterval old.
func (r *StoreRecorder) record(ctx context.Context, ds fieldlink.Datasource, state string, change func(h *fieldlink.DatasourceHealth, now time.Time)) {
	if ds.ID == "" || ds.UpdatedAt.IsZero() {
		return
	}
	now := r.now()

	// The lock is held across the write, so writes for one datasource land
	// in the order of their decisions. Writes are rare by design.
	r.mu.Lock()
	defer r.mu.Unlock()

	previous, ok := r.latest[ds.ID]
	if !ok {
		previous = recorded{health: ds.Health, state: stateOf(ds), writtenAt: lastWriteOf(ds.Health)}
	}
	next := previous.health
	change(&next, now)
	due := state != previous.state ||
		next.LastError != previous.health.LastError ||
		next.LastTestAt != previous.health.LastTestAt ||
		now.Sub(previous.writtenAt) >= successWriteInterval
	if !due {
		return
	}

	if err := r.store.SetDatasourceHealth(ctx, ds.ID, next); err != nil {
		r.logger.Warn("datasource health not recorded",
			slog.String("datasource", ds.ID), slog.String("state", state), slog.Any("error", err))
		return
	}
	r.latest[ds.ID] = recorded{health: next, state: state, writtenAt: now}
	if state != previous.state {
		r.logState(ds, state, next)
	}
}

func (r *StoreRecorder) logState(ds fieldlink.Datasource, state string, h fieldlink.DatasourceHealth) {
	switch state {
	case stateUnhealthy:
		r.logger.Error("datasource stopped until its configuration is fixed",
			slog.String("datasource", ds.ID), slog.String("error", h.LastError))
	case stateFailing:
		r.logger.Warn("datasource requests failing",
			slog.String("datasource", ds.ID), slog.String("error", h.LastError))
	case stateOK:
		r.logger.Info("datasource requests succeeding again", slog.String("datasource", ds.ID))
	}
}

// stateOf returns the state that ds's stored health shows.
func stateOf(ds fieldlink.Datasource) string {
	h := ds.Health
	switch {
	case h.Unhealthy && h.ConfigVersion.Equal(ds.UpdatedAt):
		return stateUnhealthy
	case h.LastErrorAt.After(h.LastSuccessAt):
		return stateFailing
	}
	return stateOK
}

// lastWriteOf returns the latest time in h, the best guess at when it was
// written when this recorder has not written it.
func lastWriteOf(h fieldlink.DatasourceHealth) time.Time {
	latest := h.LastSuccessAt
	for _, t := range []time.Time{h.LastErrorAt, h.LastTestAt} {
		if t.After(latest) {
			latest = t
		}
	}
	return latest
}

// truncateMessage cuts message to maxRecordedErrorBytes, at the end of a
// sentence when one ends in the second half, so the stored error reads whole.
func truncateMessage(message string) string {
	if len(message) <= maxRecordedErrorBytes {
		return message
	}
	cut := strings.ToValidUTF8(message[:maxRecordedErrorBytes], "")
	if end := strings.LastIndex(cut, ". "); end > maxRecordedErrorBytes/2 {
		return cut[:end+1] + " …"
	}
	return cut + "…"
}
