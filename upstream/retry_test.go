package upstream_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

// bearerToken is the static token of the retry tests' datasources. The
// tests check that logs never contain it.
const bearerToken = "retry-test-bearer-7f3a9c"

// instantClock returns the system's time and ends every wait at once.
type instantClock struct{}

func (instantClock) Now() time.Time { return time.Now() }

func (instantClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// fakeClock advances its time by each wait instead of sleeping, and records
// the waits.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, time.March, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	return ctx.Err()
}

func (c *fakeClock) recordedWaits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// retrySetup is the Graph emulator on loopback and a Client whose waits go
// to a fake clock and whose logs go to a buffer.
type retrySetup struct {
	graph  *graph.Server
	url    string
	clock  *fakeClock
	client *upstream.Client
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newRetrySetup(t *testing.T, clock upstream.Clock) *retrySetup {
	t.Helper()
	s := &retrySetup{logs: &syncBuffer{}}
	s.graph = graph.New(graph.Options{
		Users: graph.SampleDirectory(),
		VerifyToken: func(raw string) ([]string, error) {
			if raw == bearerToken {
				return []string{"User.Read.All"}, nil
			}
			return nil, nil
		},
	})
	server := httptest.NewServer(s.graph)
	t.Cleanup(server.Close)
	s.url = server.URL

	out := outbound.New(outbound.Options{AllowLoopback: true})
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var opts []upstream.Option
	if fc, ok := clock.(*fakeClock); ok {
		s.clock = fc
	}
	if clock != nil {
		opts = append(opts, upstream.WithClock(clock))
	}
	s.client = upstream.New(out, credential.NewCache(out.For, nil), logger, opts...)
	return s
}

func (s *retrySetup) datasource() fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:             "ds-graph",
		BaseURL:        s.url + "/v1.0",
		TimeoutSeconds: 30,
		Auth:           fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: bearerToken},
	}
}

// firstUserPath is a user of graph.SampleDirectory.
func firstUserPath() string {
	return "/users/" + graph.SampleDirectory()[0].ID
}

func TestDoHonorsRetryAfter(t *testing.T) {
	clockStart := newFakeClock().now
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"whole seconds", "2", 2 * time.Second},
		{"decimal seconds", "2.128", 2128 * time.Millisecond},
		{"HTTP date", clockStart.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"zero", "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRetrySetup(t, newFakeClock())
			s.graph.ThrottleNext(1, tt.retryAfter)

			resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != http.StatusOK {
				t.Errorf("status = %d, want 200 after the retry; body: %s", resp.Status, resp.Body)
			}
			if got := s.graph.Requests(); got != 2 {
				t.Errorf("Graph received %d requests, want 2", got)
			}
			if diff := cmp.Diff([]time.Duration{tt.want}, s.clock.recordedWaits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDoBacksOffWithoutRetryAfter(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.ThrottleNext(3, "")

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200 after the retries", resp.Status)
	}
	if got := s.graph.Requests(); got != 4 {
		t.Errorf("Graph received %d requests, want 4", got)
	}

	waits := s.clock.recordedWaits()
	if len(waits) != 3 {
		t.Fatalf("waits = %v, want 3", waits)
	}
	for i, wait := range waits {
		ceiling := 500 * time.Millisecond << i
		if wait < 0 || wait > ceiling {
			t.Errorf("wait %d = %s, want between 0 and %s", i+1, wait, ceiling)
		}
	}
}

func TestDoRetriesUnavailableThenSucceeds(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.UnavailableNext(1, "1")

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.Status)
	}
	if got := s.graph.Requests(); got != 2 {
		t.Errorf("Graph received %d requests, want 2", got)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, s.clock.recordedWaits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestDoRetryAfterPastBudget(t *testing.T) {
	clockStart := newFakeClock().now
	tests := []struct {
		name       string
		retryAfter string
		wantWait   string
	}{
		{"seconds", "120", "in 2m0s"},
		{"HTTP date", clockStart.Add(5 * time.Minute).Format(http.TimeFormat), "in 5m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRetrySetup(t, newFakeClock())
			s.graph.ThrottleNext(1, tt.retryAfter)

			resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
			if resp.Status != http.StatusTooManyRequests {
				t.Errorf("status = %d, want the 429 returned", resp.Status)
			}

			var retryErr *upstream.RetryLaterError
			if !errors.As(err, &retryErr) {
				t.Fatalf("error = %v, want a *upstream.RetryLaterError", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false, want true", err)
			}
			var apiErr *credential.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != "TooManyRequests" {
				t.Errorf("API error = %+v, want Graph's TooManyRequests", apiErr)
			}
			for _, part := range []string{"429 Too Many Requests", tt.wantWait, retryErr.RetryAt.Format(time.RFC3339), "time budget of 1m0s"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			if got := s.graph.Requests(); got != 1 {
				t.Errorf("Graph received %d requests, want 1", got)
			}
			if waits := s.clock.recordedWaits(); len(waits) != 0 {
				t.Errorf("waits = %v, want none", waits)
			}
		})
	}
}

func TestDoBudgetSpentByWaits(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	ds := s.datasource()
	ds.TimeoutSeconds = 5 // a budget of 10 s
	s.graph.ThrottleNext(10, "4")

	resp, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: firstUserPath()})
	var retryErr *upstream.RetryLaterError
	if !errors.As(err, &retryErr) {
		t.Fatalf("error = %v, want a *upstream.RetryLaterError", err)
	}
	if retryErr.Retries != 2 {
		t.Errorf("Retries = %d, want 2", retryErr.Retries)
	}
	if resp.Status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want 429", resp.Status)
	}
	if got := s.graph.Requests(); got != 3 {
		t.Errorf("Graph received %d requests, want 3", got)
	}
}

func TestDoStopsAfterMaxRetries(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.ThrottleNext(10, "0")

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v, want the last 429 without error", err)
	}
	if resp.Status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want 429", resp.Status)
	}
	if got, want := s.graph.Requests(), upstream.MaxRetries+1; got != want {
		t.Errorf("Graph received %d requests, want %d", got, want)
	}
}

func TestDoDoesNotRetryClientErrors(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		path   string
		status int
	}{
		{"400 bad select", bearerToken, firstUserPath() + "?$select=noSuchProperty", http.StatusBadRequest},
		{"403 without role", "token-without-roles", firstUserPath(), http.StatusForbidden},
		{"404 unknown user", bearerToken, "/users/nobody@fabrikam.example", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRetrySetup(t, newFakeClock())
			ds := s.datasource()
			ds.Auth.Token = tt.token

			resp, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: tt.path})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != tt.status {
				t.Errorf("status = %d, want %d; body: %s", resp.Status, tt.status, resp.Body)
			}
			if got := s.graph.Requests(); got != 1 {
				t.Errorf("Graph received %d requests, want 1", got)
			}
		})
	}
}

func TestDoRetriesServerErrorsOnlyForGet(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		status       int
		wantRequests int
	}{
		{"GET 500", http.MethodGet, http.StatusInternalServerError, 2},
		{"GET 502", http.MethodGet, http.StatusBadGateway, 2},
		{"GET 504", http.MethodGet, http.StatusGatewayTimeout, 2},
		{"POST 500", http.MethodPost, http.StatusInternalServerError, 1},
		{"POST 502", http.MethodPost, http.StatusBadGateway, 1},
		{"PUT 504", http.MethodPut, http.StatusGatewayTimeout, 1},
		{"GET 501", http.MethodGet, http.StatusNotImplemented, 1},
		// 429 and 503 mean the request was not processed, so any method
		// is retried. The emulator then rejects the POST with 405.
		{"POST 429", http.MethodPost, http.StatusTooManyRequests, 2},
		{"POST 503", http.MethodPost, http.StatusServiceUnavailable, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRetrySetup(t, newFakeClock())
			s.graph.FailNext(1, graph.Fault{Status: tt.status, RetryAfter: "1"})

			req := fieldlink.UpstreamRequest{Method: tt.method, Path: firstUserPath()}
			if tt.method != http.MethodGet {
				req.Body = []byte(`{"displayName":"x"}`)
			}
			resp, err := s.client.Do(t.Context(), s.datasource(), req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got := s.graph.Requests(); got != tt.wantRequests {
				t.Errorf("Graph received %d requests, want %d", got, tt.wantRequests)
			}
			if tt.wantRequests == 1 && resp.Status != tt.status {
				t.Errorf("status = %d, want %d returned as it is", resp.Status, tt.status)
			}
		})
	}
}

// droppingServer closes the connection of its first request without a
// response and serves the later ones.
func droppingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[]}`))
	}))
	t.Cleanup(server.Close)
	return server, &requests
}

func TestDoRetriesDroppedConnectionForGet(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	server, requests := droppingServer(t)
	ds := s.datasource()
	ds.BaseURL = server.URL

	resp, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/items"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.Status)
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("server received %d requests, want 2", got)
	}
}

func TestDoDoesNotRetryDroppedConnectionForPost(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	server, requests := droppingServer(t)
	ds := s.datasource()
	ds.BaseURL = server.URL

	_, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Method: http.MethodPost, Path: "/items", Body: []byte(`{}`)})
	if err == nil {
		t.Fatal("Do succeeded, want the connection error")
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("server received %d requests, want 1", got)
	}
}

func TestDoRetriesRefusedConnection(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	ds := s.datasource()
	ds.BaseURL = "http://" + addr

	_, err = s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/items"})
	if err == nil {
		t.Fatal("Do succeeded, want the connection error")
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error = %v, want the refused connection", err)
	}
	if got := len(s.clock.recordedWaits()); got != upstream.MaxRetries {
		t.Errorf("waited %d times, want %d", got, upstream.MaxRetries)
	}
}

func TestDoRetryRealWait(t *testing.T) {
	s := newRetrySetup(t, nil)
	s.graph.ThrottleNext(1, "0.05")

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.Status)
	}
	if got := s.graph.Requests(); got != 2 {
		t.Errorf("Graph received %d requests, want 2", got)
	}
}

func TestDoWaitEndsWithCanceledContext(t *testing.T) {
	s := newRetrySetup(t, nil)
	s.graph.ThrottleNext(1, "30")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)

	_, err := s.client.Do(ctx, s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if got := s.graph.Requests(); got != 1 {
		t.Errorf("Graph received %d requests, want 1", got)
	}
}

func TestDoLogsRetries(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.ThrottleNext(1, "2")

	if _, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()}); err != nil {
		t.Fatalf("Do: %v", err)
	}

	logs := s.logs.String()
	var retryLine string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, `"msg":"retrying upstream request"`) {
			retryLine = line
		}
	}
	if retryLine == "" {
		t.Fatalf("no retry record in the logs:\n%s", logs)
	}
	for _, part := range []string{`"datasource":"ds-graph"`, `"status":429`, `"wait":2000000000`, `"wait_source":"Retry-After"`, `"retry":1`} {
		if !strings.Contains(retryLine, part) {
			t.Errorf("retry record %s does not contain %s", retryLine, part)
		}
	}
	if strings.Contains(logs, bearerToken) {
		t.Errorf("logs contain the bearer token:\n%s", logs)
	}
}
