package bench

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadOptions configures one run of the load generator.
type loadOptions struct {
	// Concurrency is the number of clients that send requests at once, each
	// waiting for its response before it sends the next.
	Concurrency int

	// Duration ends the run: no request starts after it has passed. Used
	// when Requests is zero.
	Duration time.Duration

	// Requests ends the run after this many requests in total, numbered
	// from 0 to Requests-1.
	Requests int

	// Send sends request n and returns an error when its response is not
	// the one expected.
	Send func(ctx context.Context, n int) error
}

// loadResult is what one run of the load generator measured.
type loadResult struct {
	// Requests counts the requests sent, failed ones included.
	Requests int
	// Errors counts the requests whose Send returned an error, and
	// FirstError is the first of them.
	Errors     int
	FirstError error
	// Start is when the first request was sent, and Elapsed runs from then
	// to the end of the last.
	Start   time.Time
	Elapsed time.Duration
	// Latencies holds the time from send to response of every request that
	// succeeded, in ascending order.
	Latencies []time.Duration
}

// runLoad sends requests from opts.Concurrency clients until opts.Requests
// were sent or opts.Duration has passed, timing each request.
func runLoad(ctx context.Context, opts loadOptions) loadResult {
	var (
		next    atomic.Int64
		stopped atomic.Bool
		mu      sync.Mutex
		result  loadResult
		wg      sync.WaitGroup
	)

	start := time.Now()
	result.Start = start
	if opts.Requests == 0 {
		timer := time.AfterFunc(opts.Duration, func() { stopped.Store(true) })
		defer timer.Stop()
	}

	for range opts.Concurrency {
		wg.Go(func() {
			// Each client keeps its own figures, merged once at the end,
			// so that clients never wait on each other while timing.
			var latencies []time.Duration
			var errs int
			var firstErr error
			for !stopped.Load() && ctx.Err() == nil {
				n := int(next.Add(1) - 1)
				if opts.Requests > 0 && n >= opts.Requests {
					break
				}

				sent := time.Now()
				err := opts.Send(ctx, n)
				took := time.Since(sent)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = fmt.Errorf("request %d: %w", n, err)
					}
					continue
				}
				latencies = append(latencies, took)
			}

			mu.Lock()
			defer mu.Unlock()
			result.Requests += len(latencies) + errs
			result.Errors += errs
			if result.FirstError == nil {
				result.FirstError = firstErr
			}
			result.Latencies = append(result.Latencies, latencies...)
		})
	}
	wg.Wait()

	result.Elapsed = time.Since(start)
	slices.Sort(result.Latencies)
	return result
}

// perSecond returns the successful requests per second of wall time.
func (r loadResult) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// percentile returns the latency that p percent of the successful requests
// did not exceed (nearest rank), or 0 when none succeeded.
func (r loadResult) percentile(p float64) time.Duration {
	return latencyPercentile(r.Latencies, p)
}

// latencyPercentile returns the nearest-rank p-th percentile of sorted
// latencies, or 0 for none.
func latencyPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// milliseconds returns d in milliseconds, with its fraction.
func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// newLoadClient returns an HTTP client that keeps a connection open for each
// of up to concurrency clients, so that a run measures requests rather than
// TCP handshakes. Both sides of a comparison use one of these.
func newLoadClient(concurrency int) *http.Client {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		MaxConnsPerHost:     concurrency * 2,
		IdleConnTimeout:     time.Minute,
	}
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}
}
