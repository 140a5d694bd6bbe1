package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// apiConcurrencies are the numbers of clients that BenchmarkAPICachedLookup
// drives the API with: enough to keep both cores of the benchmark machine
// busy, and four times that.
var apiConcurrencies = []int{16, 64}

// BenchmarkAPICachedLookup drives POST /api/v1/items/{id}/evaluate with
// cached results, authenticated with an admin API token, from the load
// generator, and a plain net/http handler that returns the same JSON bytes
// with the same content type, in alternating turns for
// serverSizes.loadDuration each. The load generator runs in the same
// process as both servers and shares the machine's cores with them.
//
// Each round reports fieldlink-req/s and baseline-req/s (successful
// requests per second), throughput-share (fieldlink over baseline),
// fieldlink-p99-ms and baseline-p99-ms. Every response is compared with
// the expected bytes, and a single unexpected one fails the benchmark.
func BenchmarkAPICachedLookup(b *testing.B) {
	fl := startBenchServer(b, benchServerOptions{Reporters: serverSizes.reporters})
	lookup := newCachedLookup(b, fl)
	baselineURL := serveBaseline(b, lookup.contentType, lookup.responses[0])

	for _, concurrency := range apiConcurrencies {
		b.Run("concurrency="+strconv.Itoa(concurrency), func(b *testing.B) {
			benchmarkCachedLookup(b, fl, lookup, baselineURL, concurrency)
		})
	}
}

// apiSlices is the number of turns each side of BenchmarkAPICachedLookup
// takes in a round. Short turns that alternate make other load on the
// machine, which comes and goes, hit both sides alike.
const apiSlices = 10

// benchmarkCachedLookup runs b.N rounds of both sides at the concurrency
// and reports their figures over all rounds. In each round both sides are
// driven for serverSizes.loadDuration in all, in alternating turns.
func benchmarkCachedLookup(b *testing.B, fl *benchServer, lookup *cachedLookup, baselineURL string, concurrency int) {
	client := newLoadClient(concurrency)
	defer client.CloseIdleConnections()
	fieldlinkSend := lookup.sender(client, lookup.url, func(n int) []byte { return lookup.responses[n%len(lookup.responses)] })
	baselineSend := lookup.sender(client, baselineURL, func(int) []byte { return lookup.responses[0] })
	turn := serverSizes.loadDuration / apiSlices
	graphBefore := fl.graph.Requests()

	var fieldlinkRuns, baselineRuns []loadResult
	b.ResetTimer()
	for range b.N {
		for slice := range apiSlices {
			if slice%2 == 0 {
				fieldlinkRuns = append(fieldlinkRuns, driveLoad(b, concurrency, turn, fieldlinkSend))
				baselineRuns = append(baselineRuns, driveLoad(b, concurrency, turn, baselineSend))
			} else {
				baselineRuns = append(baselineRuns, driveLoad(b, concurrency, turn, baselineSend))
				fieldlinkRuns = append(fieldlinkRuns, driveLoad(b, concurrency, turn, fieldlinkSend))
			}
		}
	}
	b.StopTimer()

	if n := fl.graph.Requests() - graphBefore; n != 0 {
		b.Fatalf("the evaluations sent %d requests to Graph, want none: every result should come from the cache", n)
	}
	fieldlink := mergeLoadResults(fieldlinkRuns)
	baseline := mergeLoadResults(baselineRuns)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(fieldlink.perSecond(), "fieldlink-req/s")
	b.ReportMetric(baseline.perSecond(), "baseline-req/s")
	b.ReportMetric(fieldlink.perSecond()/baseline.perSecond(), "throughput-share")
	b.ReportMetric(milliseconds(fieldlink.percentile(99)), "fieldlink-p99-ms")
	b.ReportMetric(milliseconds(baseline.percentile(99)), "baseline-p99-ms")
}

// driveLoad runs the load generator for the duration and fails the
// benchmark on any unexpected response.
func driveLoad(b *testing.B, concurrency int, duration time.Duration, send func(context.Context, int) error) loadResult {
	b.Helper()
	result := runLoad(context.Background(), loadOptions{Concurrency: concurrency, Duration: duration, Send: send})
	if result.Errors > 0 {
		b.Fatalf("%d of %d requests failed; the first: %v", result.Errors, result.Requests, result.FirstError)
	}
	if len(result.Latencies) == 0 {
		b.Fatalf("no request completed in %s", duration)
	}
	return result
}

// mergeLoadResults adds up the runs of several rounds.
func mergeLoadResults(runs []loadResult) loadResult {
	var merged loadResult
	for _, r := range runs {
		merged.Requests += r.Requests
		merged.Errors += r.Errors
		merged.Elapsed += r.Elapsed
		merged.Latencies = append(merged.Latencies, r.Latencies...)
	}
	slices.Sort(merged.Latencies)
	return merged
}

// cachedLookup is the evaluate request of each reporter and the response
// fieldlink sent for it while the cache was warmed.
type cachedLookup struct {
	url         string
	token       string
	requests    [][]byte
	responses   [][]byte
	contentType string
}

// newCachedLookup evaluates the item once for each reporter, which fills
// its cache, and keeps the requests and responses.
func newCachedLookup(b *testing.B, fl *benchServer) *cachedLookup {
	b.Helper()
	lookup := &cachedLookup{url: fl.url + "/api/v1/items/" + fl.item.ID + "/evaluate", token: fl.apiToken}
	client := newLoadClient(1)
	defer client.CloseIdleConnections()

	for _, r := range fl.reporters {
		body, err := json.Marshal(map[string]any{"context": fieldlink.TicketContext{Reporter: &fieldlink.User{
			AccountID: r.account.AccountID, DisplayName: r.account.DisplayName, EmailAddress: r.account.Email,
		}}})
		if err != nil {
			b.Fatal(err)
		}

		resp, got, err := lookup.post(context.Background(), client, lookup.url, body)
		if err != nil {
			b.Fatalf("warm the cache for %s: %v", r.account.Email, err)
		}
		var result fieldlink.ItemResult
		if err := json.Unmarshal(got, &result); err != nil || result.Text != r.office.name {
			b.Fatalf("evaluate for %s returned %s, want the office %q", r.account.Email, got, r.office.name)
		}

		lookup.requests = append(lookup.requests, body)
		lookup.responses = append(lookup.responses, got)
		lookup.contentType = resp.Header.Get("Content-Type")
	}

	// Graph received each reporter's lookup once: every later evaluation
	// comes from the cache.
	before := fl.graph.Requests()
	if _, _, err := lookup.post(context.Background(), client, lookup.url, lookup.requests[0]); err != nil {
		b.Fatal(err)
	}
	if after := fl.graph.Requests(); after != before {
		b.Fatalf("a repeated evaluation sent %d request(s) to Graph, want none: the result was not cached", after-before)
	}
	return lookup
}

// sender returns a load generator function that sends request n (of the
// reporter n modulo the reporters) to url and expects want(n) back.
func (l *cachedLookup) sender(client *http.Client, url string, want func(n int) []byte) func(context.Context, int) error {
	return func(ctx context.Context, n int) error {
		_, got, err := l.post(ctx, client, url, l.requests[n%len(l.requests)])
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want(n)) {
			return fmt.Errorf("response %s, want %s", got, want(n))
		}
		return nil
	}
}

// post sends an evaluate request body with the API token and returns the
// response and its body, or an error for any status but 200.
func (l *cachedLookup) post(ctx context.Context, client *http.Client, url string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")

	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("status %d: %s", resp.StatusCode, got)
	}
	return resp, got, nil
}

// serveBaseline serves body with the content type to every request on a
// loopback port, after reading the request body, as the least any HTTP
// service does. It returns the URL.
func serveBaseline(b *testing.B, contentType string, body []byte) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("listen for the baseline handler: %v", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", contentType)
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("baseline handler: %v", err)
		}
	}()
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
