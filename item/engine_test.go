package item

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// fakeUpstream is a fieldlink.Upstream that calls DoFunc and counts calls.
type fakeUpstream struct {
	DoFunc func(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error)
	calls  atomic.Int64
}

func (f *fakeUpstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	f.calls.Add(1)
	return f.DoFunc(ctx, ds, req)
}

// jsonUpstream returns a fake that responds to every request with body.
func jsonUpstream(body string) *fakeUpstream {
	return &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		return fieldlink.UpstreamResponse{Status: 200, Header: http.Header{}, Body: []byte(body)}, nil
	}}
}

// testClock is a clock that moves only when the test advances it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

var graphDatasource = fieldlink.Datasource{
	ID:        "ds-graph",
	Name:      "Microsoft Graph",
	BaseURL:   "http://127.0.0.1:1/v1.0",
	UpdatedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
}

func officeItem(cacheSeconds int) fieldlink.Item {
	return fieldlink.Item{
		ID:           "item-office",
		Name:         "Reporter office",
		DatasourceID: graphDatasource.ID,
		Type:         fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{
			Method: "GET",
			Path:   "/users/${reporter.emailAddress}?$select=officeLocation",
		},
		Template:     "${row.officeLocation}",
		CacheSeconds: cacheSeconds,
	}
}

// httpUpstream sends requests to a test server by appending the path to the
// datasource's base URL.
type httpUpstream struct {
	client *http.Client
}

func (u httpUpstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	var body io.Reader
	if req.Body != nil {
		body = strings.NewReader(string(req.Body))
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.Method, ds.BaseURL+req.Path, body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	for name, values := range req.Header {
		httpReq.Header[name] = values
	}

	resp, err := u.client.Do(httpReq)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

func TestEvaluateAgainstHTTPServer(t *testing.T) {
	var gotPath, gotQuery string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		gotQuery = r.URL.Query().Get("$filter")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "\xEF\xBB\xBF"+`{"value": [{"officeLocation": "Paris"}, {"officeLocation": null}, {"officeLocation": "Lyon"}]}`)
	}))
	defer server.Close()

	it := officeItem(0)
	it.Request.Path = "/users?$filter=mail eq '${reporter.emailAddress}'"
	it.Root = "$.value[*]"
	ds := graphDatasource
	ds.BaseURL = server.URL + "/v1.0"
	engine := NewEngine(Options{Upstream: httpUpstream{client: server.Client()}})

	got, err := engine.Evaluate(context.Background(), it, ds, ticket("o'brien@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	want := fieldlink.ItemResult{Values: []string{"Paris", "Lyon"}, Text: "Paris, Lyon", Rows: 3}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
	if gotPath != "/v1.0/users" {
		t.Errorf("server saw path %q, want /v1.0/users", gotPath)
	}
	if want := "mail eq 'o''brien@example.com'"; gotQuery != want {
		t.Errorf("server saw $filter %q, want %q", gotQuery, want)
	}
}

func TestEvaluateRowWithoutValue(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`{"officeLocation": null}`)})

	got, err := engine.Evaluate(context.Background(), officeItem(0), graphDatasource, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	want := fieldlink.ItemResult{Values: []string{}, Text: "", Rows: 1}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
}

func TestEvaluateMissingValueSendsNothing(t *testing.T) {
	upstream := jsonUpstream(`{}`)
	engine := NewEngine(Options{Upstream: upstream})

	_, err := engine.Evaluate(context.Background(), officeItem(60), graphDatasource, ticket("", ""))

	var missing *MissingValueError
	if !errors.As(err, &missing) {
		t.Fatalf("Evaluate error = %v, want *MissingValueError", err)
	}
	if missing.Expr != "reporter.emailAddress" {
		t.Errorf("Expr = %q", missing.Expr)
	}
	if n := upstream.calls.Load(); n != 0 {
		t.Errorf("upstream called %d times, want 0", n)
	}
}

func TestEvaluateUpstreamErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		target any
	}{
		{name: "status", status: 403, body: `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}`, target: new(*UpstreamStatusError)},
		{name: "sign-in page", status: 200, body: "<html><body>Sign in</body></html>", target: new(*NotJSONError)},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
				return fieldlink.UpstreamResponse{Status: tt.status, Body: []byte(tt.body)}, nil
			}}
			engine := NewEngine(Options{Upstream: upstream})

			_, err := engine.Evaluate(context.Background(), officeItem(60), graphDatasource, ticket("ada@example.com", ""))

			if !errors.As(err, tt.target) {
				t.Fatalf("Evaluate error = %v, want %T", err, tt.target)
			}
			if !strings.Contains(err.Error(), `item "Reporter office"`) {
				t.Errorf("error %q does not name the item", err)
			}
		})
	}
}

func TestEvaluateCacheHitAndExpiry(t *testing.T) {
	clock := newTestClock()
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream, Now: clock.Now})
	ctx := context.Background()
	it := officeItem(60)
	tc := ticket("ada@example.com", "")

	for i := range 3 {
		got, err := engine.Evaluate(ctx, it, graphDatasource, tc)
		if err != nil {
			t.Fatalf("Evaluate %d: %v", i, err)
		}
		if got.Text != "Paris" {
			t.Errorf("Evaluate %d: Text = %q, want Paris", i, got.Text)
		}
	}
	if n := upstream.calls.Load(); n != 1 {
		t.Fatalf("upstream called %d times within cacheSeconds, want 1", n)
	}

	clock.Advance(59 * time.Second)
	if _, err := engine.Evaluate(ctx, it, graphDatasource, tc); err != nil {
		t.Fatal(err)
	}
	if n := upstream.calls.Load(); n != 1 {
		t.Fatalf("upstream called %d times after 59s, want 1", n)
	}

	clock.Advance(2 * time.Second)
	if _, err := engine.Evaluate(ctx, it, graphDatasource, tc); err != nil {
		t.Fatal(err)
	}
	if n := upstream.calls.Load(); n != 2 {
		t.Fatalf("upstream called %d times after expiry, want 2", n)
	}
}

func TestEvaluateCacheKey(t *testing.T) {
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now})
	ctx := context.Background()
	it := officeItem(60)

	evaluate := func(it fieldlink.Item, ds fieldlink.Datasource, email string) {
		t.Helper()
		if _, err := engine.Evaluate(ctx, it, ds, ticket(email, "")); err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
	}

	evaluate(it, graphDatasource, "ada@example.com")
	evaluate(it, graphDatasource, "ada@example.com")
	if n := upstream.calls.Load(); n != 1 {
		t.Fatalf("same request: %d calls, want 1", n)
	}

	evaluate(it, graphDatasource, "grace@example.com")
	if n := upstream.calls.Load(); n != 2 {
		t.Fatalf("other reporter: %d calls, want 2", n)
	}

	updated := graphDatasource
	updated.UpdatedAt = updated.UpdatedAt.Add(time.Minute)
	evaluate(it, updated, "ada@example.com")
	if n := upstream.calls.Load(); n != 3 {
		t.Fatalf("datasource updated: %d calls, want 3", n)
	}

	other := it
	other.ID = "item-other"
	evaluate(other, graphDatasource, "ada@example.com")
	if n := upstream.calls.Load(); n != 4 {
		t.Fatalf("other item: %d calls, want 4", n)
	}

	withHeader := it
	withHeader.Request.Headers = map[string]string{"ConsistencyLevel": "eventual"}
	evaluate(withHeader, graphDatasource, "ada@example.com")
	if n := upstream.calls.Load(); n != 5 {
		t.Fatalf("other header: %d calls, want 5", n)
	}
}

func TestEvaluateWithoutCacheSeconds(t *testing.T) {
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream})

	for range 2 {
		if _, err := engine.Evaluate(context.Background(), officeItem(0), graphDatasource, ticket("ada@example.com", "")); err != nil {
			t.Fatal(err)
		}
	}

	if n := upstream.calls.Load(); n != 2 {
		t.Errorf("upstream called %d times with caching off, want 2", n)
	}
}

func TestEvaluateErrorsNotCached(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	upstream := &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		if fail.Load() {
			return fieldlink.UpstreamResponse{Status: 503, Body: []byte("busy")}, nil
		}
		return fieldlink.UpstreamResponse{Status: 200, Body: []byte(`{"officeLocation": "Paris"}`)}, nil
	}}
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now})
	ctx := context.Background()
	tc := ticket("ada@example.com", "")

	if _, err := engine.Evaluate(ctx, officeItem(60), graphDatasource, tc); err == nil {
		t.Fatal("Evaluate succeeded on a 503")
	}
	fail.Store(false)
	got, err := engine.Evaluate(ctx, officeItem(60), graphDatasource, tc)

	if err != nil {
		t.Fatalf("Evaluate after recovery: %v", err)
	}
	if got.Text != "Paris" {
		t.Errorf("Text = %q, want Paris", got.Text)
	}
	if n := upstream.calls.Load(); n != 2 {
		t.Errorf("upstream called %d times, want 2", n)
	}
}

func TestEvaluateTransportErrorNotCached(t *testing.T) {
	upstream := &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		return fieldlink.UpstreamResponse{}, errors.New("dial tcp 127.0.0.1:1: connection refused")
	}}
	engine := NewEngine(Options{Upstream: upstream})

	for range 2 {
		if _, err := engine.Evaluate(context.Background(), officeItem(60), graphDatasource, ticket("ada@example.com", "")); err == nil {
			t.Fatal("Evaluate succeeded on a transport error")
		}
	}

	if n := upstream.calls.Load(); n != 2 {
		t.Errorf("upstream called %d times, want 2", n)
	}
}

func TestEvaluateForget(t *testing.T) {
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now})
	ctx := context.Background()
	tc := ticket("ada@example.com", "")
	other := officeItem(60)
	other.ID = "item-other"

	for _, it := range []fieldlink.Item{officeItem(60), other} {
		if _, err := engine.Evaluate(ctx, it, graphDatasource, tc); err != nil {
			t.Fatal(err)
		}
	}
	engine.Forget("item-office")
	for _, it := range []fieldlink.Item{officeItem(60), other} {
		if _, err := engine.Evaluate(ctx, it, graphDatasource, tc); err != nil {
			t.Fatal(err)
		}
	}

	if n := upstream.calls.Load(); n != 3 {
		t.Errorf("upstream called %d times, want 3 (the forgotten item once more)", n)
	}
}

func TestEvaluateSingleFlight(t *testing.T) {
	const callers = 100
	release := make(chan struct{})
	upstream := &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		<-release
		return fieldlink.UpstreamResponse{Status: 200, Body: []byte(`{"officeLocation": "Paris"}`)}, nil
	}}
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now})

	// Every caller has missed the cache before the upstream responds, so
	// without single flight each would send its own request.
	var missed sync.WaitGroup
	missed.Add(callers)
	engine.onCacheMiss = missed.Done

	results := make([]fieldlink.ItemResult, callers)
	errs := make([]error, callers)
	var done sync.WaitGroup
	for i := range callers {
		done.Go(func() {
			results[i], errs[i] = engine.Evaluate(context.Background(), officeItem(60), graphDatasource, ticket("ada@example.com", ""))
		})
	}
	missed.Wait()
	close(release)
	done.Wait()

	if n := upstream.calls.Load(); n != 1 {
		t.Errorf("upstream called %d times by %d concurrent callers, want 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i].Text != "Paris" {
			t.Errorf("caller %d: Text = %q, want Paris", i, results[i].Text)
		}
	}
}

func TestEvaluateCallerCancelDoesNotFailOthers(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var startOnce sync.Once
	upstream := &fakeUpstream{DoFunc: func(ctx context.Context, _ fieldlink.Datasource, _ fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		startOnce.Do(func() { close(started) })
		select {
		case <-release:
		case <-ctx.Done():
			return fieldlink.UpstreamResponse{}, ctx.Err()
		}
		return fieldlink.UpstreamResponse{Status: 200, Body: []byte(`{"officeLocation": "Paris"}`)}, nil
	}}
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now})

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := engine.Evaluate(leaderCtx, officeItem(60), graphDatasource, ticket("ada@example.com", ""))
		leaderErr <- err
	}()
	<-started

	var joined sync.WaitGroup
	joined.Add(1)
	engine.onCacheMiss = joined.Done
	followerResult := make(chan fieldlink.ItemResult, 1)
	followerErr := make(chan error, 1)
	go func() {
		got, err := engine.Evaluate(context.Background(), officeItem(60), graphDatasource, ticket("ada@example.com", ""))
		followerResult <- got
		followerErr <- err
	}()
	joined.Wait()

	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader error = %v, want context.Canceled", err)
	}
	close(release)

	if err := <-followerErr; err != nil {
		t.Fatalf("follower: %v", err)
	}
	if got := <-followerResult; got.Text != "Paris" {
		t.Errorf("follower Text = %q, want Paris", got.Text)
	}
}

func TestEngineCacheBounded(t *testing.T) {
	const maxEntries = 10
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream, Now: newTestClock().Now, MaxCacheEntries: maxEntries})

	for i := range 200 {
		tc := ticket(strings.Repeat("a", i+1)+"@example.com", "")
		if _, err := engine.Evaluate(context.Background(), officeItem(600), graphDatasource, tc); err != nil {
			t.Fatal(err)
		}
	}
	engine.cache.CleanUp()

	if size := engine.cache.EstimatedSize(); size > maxEntries {
		t.Errorf("cache holds %d entries, want at most %d", size, maxEntries)
	}
}

func TestEvaluateWithoutUpstream(t *testing.T) {
	engine := NewEngine(Options{})

	_, err := engine.Evaluate(context.Background(), officeItem(0), graphDatasource, ticket("ada@example.com", ""))

	if err == nil || !strings.Contains(err.Error(), "no upstream") {
		t.Errorf("Evaluate error = %v, want one saying no upstream is configured", err)
	}
}
