package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// repeatWindow is how long repeats of one warning or error from River are
// held back after it was logged.
const repeatWindow = time.Minute

// maxRepeatMessages bounds how many messages the counts are kept for.
const maxRepeatMessages = 1000

// repeatLimiter is a slog.Handler that logs a warning or error from River
// once per repeatWindow for each message, and adds to the next one that
// passes how many were held back. While the database is unreachable, River
// reports every failed fetch, about ten times a second, and the log would
// hold little else.
type repeatLimiter struct {
	next slog.Handler
	now  func() time.Time

	// state is shared by the handlers that WithAttrs and WithGroup derive.
	state *repeatState
}

type repeatState struct {
	mu   sync.Mutex
	seen map[string]*repeatCount
}

type repeatCount struct {
	logged     time.Time
	suppressed int
}

func newRepeatLimiter(next slog.Handler, now func() time.Time) *repeatLimiter {
	return &repeatLimiter{next: next, now: now, state: &repeatState{seen: map[string]*repeatCount{}}}
}

// Enabled reports whether the wrapped handler logs level.
func (h *repeatLimiter) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle passes records below Warn on, and a warning or error when its
// message was not logged within repeatWindow.
func (h *repeatLimiter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}

	suppressed, ok := h.admit(r.Message)
	if !ok {
		return nil
	}
	if suppressed > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeatsNotLogged", suppressed))
	}
	return h.next.Handle(ctx, r)
}

// admit reports whether a record with message may be logged now, and how
// many were held back since the last one that was.
func (h *repeatLimiter) admit(message string) (int, bool) {
	now := h.now()

	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	count, ok := h.state.seen[message]
	if !ok {
		// River's messages are fixed texts, so the map stays small; the
		// bound only guards against a version that puts values in them.
		if len(h.state.seen) >= maxRepeatMessages {
			clear(h.state.seen)
		}
		h.state.seen[message] = &repeatCount{logged: now}
		return 0, true
	}
	if now.Sub(count.logged) < repeatWindow {
		count.suppressed++
		return 0, false
	}

	suppressed := count.suppressed
	count.logged, count.suppressed = now, 0
	return suppressed, true
}

// WithAttrs returns a handler that adds attrs and shares the repeat counts.
func (h *repeatLimiter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &repeatLimiter{next: h.next.WithAttrs(attrs), now: h.now, state: h.state}
}

// WithGroup returns a handler that opens a group and shares the repeat
// counts.
func (h *repeatLimiter) WithGroup(name string) slog.Handler {
	return &repeatLimiter{next: h.next.WithGroup(name), now: h.now, state: h.state}
}
