package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// intakeLimitSetup is an API with two hooks, on a clock the test moves, whose
// intake has the default limit of failed deliveries.
type intakeLimitSetup struct {
	*apiSetup
	clock        *fakeClock
	first, other HookBody
}

func newIntakeLimitAPI(t *testing.T) *intakeLimitSetup {
	t.Helper()
	a := newAPI(t)
	first := hookSetup(t, a)
	created := a.call("POST", "/api/v1/hooks", adminToken, HookBody{Name: "HR Help", JiraDatasource: first.JiraDatasource})
	if created.status != http.StatusCreated {
		t.Fatalf("create second hook: %d %s", created.status, created.body)
	}
	other := decodeBody[HookBody](t, created)

	clock := &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(New(Options{
		Store:            a.db,
		Items:            a.items,
		ValidateItemFunc: item.Validate,
		Queue:            a.queue,
		AdminTokenHash:   sha256.Sum256([]byte(adminToken)),
		Now:              clock.Now,
		Logger:           slog.New(slog.NewTextHandler(a.logs, nil)),
	}))
	t.Cleanup(srv.Close)
	a.srv = srv
	return &intakeLimitSetup{apiSetup: a, clock: clock, first: first, other: other}
}

// deliver posts a webhook body with a signature header, unless signature is
// empty, and returns the status and the Retry-After header. It does not
// check the response against docs/openapi.yaml, as apiSetup.call does.
func (s *intakeLimitSetup) deliver(path string, body []byte, signature string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func signature(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(jira.Sign(secret, body))
}

// flood sends defaultIntakeFailures failing deliveries and checks that each
// got failStatus and the next one 429.
func (s *intakeLimitSetup) flood(path, badSignature string, failStatus int) {
	s.t.Helper()
	body := webhookBody("ITH-99")
	for i := range defaultIntakeFailures {
		if status, _ := s.deliver(path, body, badSignature); status != failStatus {
			s.t.Fatalf("failed delivery %d to %s: status %d, want %d", i+1, path, status, failStatus)
		}
	}
	status, retryAfter := s.deliver(path, body, badSignature)
	if status != http.StatusTooManyRequests {
		s.t.Fatalf("delivery %d to %s after %d failures: status %d, want 429", defaultIntakeFailures+1, path, defaultIntakeFailures, status)
	}
	if retryAfter != "60" {
		s.t.Errorf("Retry-After %q, want 60 (seconds until the first failure leaves the one-minute window)", retryAfter)
	}
}

func TestIntakeFloodOfBadSignaturesThrottled(t *testing.T) {
	s := newIntakeLimitAPI(t)
	s.flood("/hooks/jira/"+s.first.ID, "sha256="+strings.Repeat("0", 64), http.StatusUnauthorized)

	// A correctly signed delivery to another hook from the same address is
	// accepted right after the flood.
	body := webhookBody("ITH-1")
	if status, _ := s.deliver("/hooks/jira/"+s.other.ID, body, signature(s.other.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery to the other hook: status %d, want 202", status)
	}

	// A correctly signed delivery to the flooded hook from the flooding
	// address is still checked and accepted: the flood cannot hold back a
	// ticket event.
	flooded := "/hooks/jira/" + s.first.ID
	body = webhookBody("ITH-2")
	if status, _ := s.deliver(flooded, body, signature(s.first.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery to the flooded hook: status %d, want 202", status)
	}
	if n := len(s.queue.stored); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}

	// A bad signature past the limit gets 429 after its check, and a
	// delivery without any signature gets 429 before its body is read.
	status, retryAfter := s.deliver(flooded, body, "sha256="+strings.Repeat("1", 64))
	if status != http.StatusTooManyRequests || retryAfter != "60" {
		t.Errorf("bad signature past the limit: status %d, Retry-After %q, want 429 and 60", status, retryAfter)
	}
	if status, _ := s.deliver(flooded, body, ""); status != http.StatusTooManyRequests {
		t.Errorf("unsigned delivery past the limit: status %d, want 429", status)
	}
	if n := len(s.queue.stored); n != 2 {
		t.Errorf("%d events stored, want 2: a rejected delivery must not be stored", n)
	}

	// Once the failures age out, a bad signature gets 401 again.
	s.clock.Advance(61 * time.Second)
	if status, _ := s.deliver(flooded, body, "sha256="+strings.Repeat("1", 64)); status != http.StatusUnauthorized {
		t.Errorf("bad signature after the window: status %d, want 401", status)
	}
}

func TestIntakeFloodLoggedOncePerWindow(t *testing.T) {
	s := newIntakeLimitAPI(t)
	path := "/hooks/jira/" + s.first.ID
	s.flood(path, "sha256="+strings.Repeat("0", 64), http.StatusUnauthorized)
	s.deliver(path, webhookBody("ITH-99"), "")

	logs := s.logs.String()
	if n := strings.Count(logs, `level=WARN msg="webhook rejected`); n != 1 {
		t.Errorf("%d rejections logged at Warn, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, `level=WARN msg="webhook throttled`); n != 1 {
		t.Errorf("%d throttled deliveries logged at Warn, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "clientIP=127.0.0.1") {
		t.Errorf("rejection not logged with the client address:\n%s", logs)
	}

	// A new window logs the next rejection at Warn again.
	s.clock.Advance(61 * time.Second)
	s.deliver(path, webhookBody("ITH-99"), "")
	if n := strings.Count(s.logs.String(), `level=WARN msg="webhook rejected`); n != 2 {
		t.Errorf("%d rejections logged at Warn after the window, want 2", n)
	}
}

func TestIntakeUnknownHooksThrottled(t *testing.T) {
	s := newIntakeLimitAPI(t)
	body := webhookBody("ITH-99")

	// Every request guesses another hook ID, and they share one count.
	for i := range defaultIntakeFailures {
		path := "/hooks/jira/hk_guess" + strings.Repeat("x", i)
		if status, _ := s.deliver(path, body, signature("guess", body)); status != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i+1, status)
		}
	}
	if status, retryAfter := s.deliver("/hooks/jira/hk_another_guess", body, signature("guess", body)); status != http.StatusTooManyRequests || retryAfter == "" {
		t.Errorf("guess after the limit: status %d, Retry-After %q, want 429 with Retry-After", status, retryAfter)
	}

	body = webhookBody("ITH-1")
	if status, _ := s.deliver("/hooks/jira/"+s.first.ID, body, signature(s.first.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery to a hook after the guesses: status %d, want 202", status)
	}
}

func TestIntakeBareURLFloodThrottled(t *testing.T) {
	s := newIntakeLimitAPI(t)
	s.flood("/hooks/jira", "", http.StatusUnauthorized)

	body := webhookBody("ITH-1")
	if status, _ := s.deliver("/hooks/jira/"+s.first.ID, body, signature(s.first.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery to the hook's own URL: status %d, want 202", status)
	}

	// On the flooded bare URL, a correctly signed delivery is still checked
	// and accepted, here as a duplicate of the one just stored.
	if status, _ := s.deliver("/hooks/jira", body, signature(s.first.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery to the flooded bare URL: status %d, want 202", status)
	}
	if status, retryAfter := s.deliver("/hooks/jira", body, ""); status != http.StatusTooManyRequests || retryAfter != "60" {
		t.Errorf("unsigned delivery to the flooded bare URL: status %d, Retry-After %q, want 429 and 60", status, retryAfter)
	}
}

func TestIntakeOversizedBodiesCountAsFailures(t *testing.T) {
	s := newIntakeLimitAPI(t)
	path := "/hooks/jira/" + s.first.ID
	oversized := bytes.Repeat([]byte("x"), maxWebhookBytes+1)

	for i := range defaultIntakeFailures {
		if status, _ := s.deliver(path, oversized, ""); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized delivery %d: status %d, want 413", i+1, status)
		}
	}

	if status, retryAfter := s.deliver(path, oversized, ""); status != http.StatusTooManyRequests || retryAfter == "" {
		t.Errorf("oversized delivery past the limit: status %d, Retry-After %q, want 429 before the body is read", status, retryAfter)
	}
	body := webhookBody("ITH-1")
	if status, _ := s.deliver(path, body, signature(s.first.Secret, body)); status != http.StatusAccepted {
		t.Errorf("signed delivery after the oversized ones: status %d, want 202", status)
	}
	if n := strings.Count(s.logs.String(), `level=WARN msg="webhook rejected: body too large"`); n != 1 {
		t.Errorf("%d oversized bodies logged at Warn, want 1 per window", n)
	}
}
