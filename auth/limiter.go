package auth

import (
	"slices"
	"sync"
	"time"
)

// Limiter counts failed sign-ins per key (a username or a client IP) and
// blocks a key after MaxFailures failures within Window. It keeps its counts
// in memory, so a restart clears them.
type Limiter struct {
	// MaxFailures is the number of failures a key may have within Window.
	// Defaults to 5.
	MaxFailures int
	// Window is the period failures are counted over. Defaults to 15 minutes.
	Window time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

func (l *Limiter) withDefaults() (int, time.Duration, time.Time) {
	maxFailures, window, now := l.MaxFailures, l.Window, time.Now()
	if maxFailures <= 0 {
		maxFailures = 5
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	if l.Now != nil {
		now = l.Now()
	}
	return maxFailures, window, now
}

// CountingWindow returns the period failures are counted over: Window, or
// its default when Window is zero.
func (l *Limiter) CountingWindow() time.Duration {
	_, window, _ := l.withDefaults()
	return window
}

// RetryAfter returns how long key stays blocked, or zero when it may try
// to sign in.
func (l *Limiter) RetryAfter(key string) time.Duration {
	maxFailures, window, now := l.withDefaults()
	l.mu.Lock()
	defer l.mu.Unlock()

	recent := l.prune(key, now, window)
	if len(recent) < maxFailures {
		return 0
	}

	// The key is free again once enough of its failures are older than
	// the window.
	return recent[len(recent)-maxFailures].Add(window).Sub(now)
}

// Fail records a failed sign-in for key.
func (l *Limiter) Fail(key string) {
	maxFailures, window, now := l.withDefaults()
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.failures == nil {
		l.failures = map[string][]time.Time{}
	}

	// RetryAfter reads only the newest maxFailures failures, so a flood
	// keeps no more than that per key.
	times := append(l.prune(key, now, window), now)
	if len(times) > maxFailures {
		times = slices.Clone(times[len(times)-maxFailures:])
	}
	l.failures[key] = times

	// Drop keys whose failures have all aged out, so the map does not
	// grow with every address that ever failed once.
	if len(l.failures) > 10000 {
		for k := range l.failures {
			l.prune(k, now, window)
		}
	}
}

// Reset clears the failures of key after a successful sign-in.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// prune drops the failures of key older than window and returns the rest.
func (l *Limiter) prune(key string, now time.Time, window time.Duration) []time.Time {
	times := l.failures[key]
	i := 0
	for i < len(times) && !times[i].After(now.Add(-window)) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = times
	return times
}
