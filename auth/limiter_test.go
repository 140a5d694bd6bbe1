package auth

import (
	"testing"
	"time"
)

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time          { return c.now }
func (c *testClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func TestLimiterBlocksAfterFiveFailures(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	l := &Limiter{Now: clock.Now}

	for i := range 5 {
		if wait := l.RetryAfter("user:ana"); wait != 0 {
			t.Fatalf("before failure %d: RetryAfter = %v, want 0", i+1, wait)
		}
		l.Fail("user:ana")
		clock.Advance(time.Minute)
	}

	// The first failure was 5 minutes ago, so it ages out in 10.
	if got, want := l.RetryAfter("user:ana"), 10*time.Minute; got != want {
		t.Errorf("after 5 failures: RetryAfter = %v, want %v", got, want)
	}
	if wait := l.RetryAfter("user:ben"); wait != 0 {
		t.Errorf("other key: RetryAfter = %v, want 0", wait)
	}

	clock.Advance(10 * time.Minute)
	if wait := l.RetryAfter("user:ana"); wait != 0 {
		t.Errorf("after the window: RetryAfter = %v, want 0", wait)
	}
}

func TestLimiterResetClearsFailures(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	l := &Limiter{Now: clock.Now, MaxFailures: 2}
	l.Fail("ip:192.0.2.1")
	l.Fail("ip:192.0.2.1")
	if l.RetryAfter("ip:192.0.2.1") == 0 {
		t.Fatal("2 failures with MaxFailures 2: not blocked")
	}

	l.Reset("ip:192.0.2.1")
	if wait := l.RetryAfter("ip:192.0.2.1"); wait != 0 {
		t.Errorf("after Reset: RetryAfter = %v, want 0", wait)
	}
}

func TestLimiterCountingWindow(t *testing.T) {
	if got, want := (&Limiter{}).CountingWindow(), 15*time.Minute; got != want {
		t.Errorf("default CountingWindow = %v, want %v", got, want)
	}
	if got, want := (&Limiter{Window: time.Minute}).CountingWindow(), time.Minute; got != want {
		t.Errorf("CountingWindow with Window set = %v, want %v", got, want)
	}
}

func TestLimiterKeepsOnlyNewestFailures(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := &Limiter{MaxFailures: 3, Window: time.Minute, Now: func() time.Time { return now }}
	for range 1000 {
		l.Fail("flood")
		now = now.Add(time.Millisecond)
	}

	if n := len(l.failures["flood"]); n != 3 {
		t.Errorf("%d failures kept for one key, want 3", n)
	}
	if wait := l.RetryAfter("flood"); wait <= 59*time.Second || wait > time.Minute {
		t.Errorf("RetryAfter %v, want just under a minute after the newest failures", wait)
	}
}
