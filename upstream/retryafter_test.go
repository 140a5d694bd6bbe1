package upstream

import (
	"math"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(1994, time.November, 6, 8, 48, 37, 0, time.UTC)
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"whole seconds", "120", 120 * time.Second},
		{"zero", "0", 0},
		{"spaces around", " 3 ", 3 * time.Second},
		{"decimal seconds", "2.128", 2128 * time.Millisecond},
		{"decimal below one", "0.5", 500 * time.Millisecond},
		{"IMF-fixdate", "Sun, 06 Nov 1994 08:50:07 GMT", 90 * time.Second},
		{"RFC 850 date", "Sunday, 06-Nov-94 08:49:37 GMT", 60 * time.Second},
		{"asctime date", "Sun Nov  6 08:49:37 1994", 60 * time.Second},
		{"date in the past", "Sun, 06 Nov 1994 08:00:00 GMT", 0},
		{"huge seconds saturate", "99999999999999999999", time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.value, now)
			if !ok {
				t.Fatalf("parseRetryAfter(%q) found no wait, want %s", tt.value, tt.want)
			}
			if got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfterRejects(t *testing.T) {
	now := time.Date(2025, time.March, 1, 10, 0, 0, 0, time.UTC)
	for _, value := range []string{"", "  ", "-5", "+5", "1e3", "NaN", "Inf", "1.", ".5", "1.2.3", "1,5", "soon", "Sun, 06 Nov 1994"} {
		if got, ok := parseRetryAfter(value, now); ok {
			t.Errorf("parseRetryAfter(%q) = %s, want no wait found", value, got)
		}
	}
}

func TestBackoffCeilings(t *testing.T) {
	c := &Client{jitter: func(ceiling time.Duration) time.Duration { return ceiling }}

	var got []time.Duration
	for retries := range 9 {
		got = append(got, c.backoff(retries))
	}
	want := []time.Duration{
		500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("backoff(%d) ceiling = %s, want %s", i, got[i], want[i])
		}
	}

	if d := c.backoff(100); d != retryMaxDelay {
		t.Errorf("backoff(100) ceiling = %s, want %s", d, retryMaxDelay)
	}
}

func TestFullJitterWithinCeiling(t *testing.T) {
	const ceiling = 500 * time.Millisecond
	for range 1000 {
		if d := fullJitter(ceiling); d < 0 || d > ceiling {
			t.Fatalf("fullJitter(%s) = %s, want between 0 and the ceiling", ceiling, d)
		}
	}
}

func TestCallBudget(t *testing.T) {
	tests := []struct {
		timeout, want time.Duration
	}{
		{5 * time.Second, 10 * time.Second},
		{30 * time.Second, 60 * time.Second},
		{45 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		if got := callBudget(tt.timeout); got != tt.want {
			t.Errorf("callBudget(%s) = %s, want %s", tt.timeout, got, tt.want)
		}
	}
}
