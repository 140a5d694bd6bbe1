package queue

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRepeatLimiterHoldsBackRepeats(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	logger := slog.New(newRepeatLimiter(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), func() time.Time { return now })).With("component", "river")

	for range 50 {
		logger.Error("producer: Error fetching jobs", "err", "connection refused")
		logger.Debug("producer: fetching")
		now = now.Add(100 * time.Millisecond)
	}
	logger.Warn("another warning")

	lines := strings.Count(out.String(), "Error fetching jobs")
	if lines != 1 {
		t.Errorf("%d error lines within a minute, want 1:\n%s", lines, out.String())
	}
	if n := strings.Count(out.String(), "producer: fetching"); n != 50 {
		t.Errorf("%d debug lines, want all 50: debug records are not held back", n)
	}
	if !strings.Contains(out.String(), "another warning") {
		t.Errorf("a warning with another message was held back:\n%s", out.String())
	}

	// After the window, the next repeat is logged with the count held back.
	now = now.Add(repeatWindow)
	logger.Error("producer: Error fetching jobs", "err", "connection refused")
	if !strings.Contains(out.String(), "repeatsNotLogged=49") {
		t.Errorf("the repeat after the window does not count the 49 held back:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "component=river") {
		t.Errorf("attributes added with With are lost:\n%s", out.String())
	}
}

func TestRepeatLimiterKeepsEnabled(t *testing.T) {
	handler := newRepeatLimiter(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}), time.Now)

	if handler.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled(Info) = true, want the wrapped handler's false")
	}
	if !handler.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled(Error) = false, want true")
	}
}
