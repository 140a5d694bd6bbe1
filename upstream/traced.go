package upstream

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/fieldlink/fieldlink"
)

// DoTraced sends req like Do, but without Do's retries, and returns how long
// the request spent sending, waiting for the first response byte and
// reading the body. It keeps Do's one retry with a new token after a 401 to
// a fetched token, and the timings then describe that second request. The
// token request itself is not part of any timing.
func (c *Client) DoTraced(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, fieldlink.RequestTimings, error) {
	r, err := c.prepare(ctx, ds, req)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fieldlink.RequestTimings{}, err
	}

	trace := &requestTrace{}
	resp, err := c.attempt(ctx, r, ds.Timeout(), trace)
	c.record(ctx, r, resp, err)
	return resp, trace.timings(), err
}

// requestTrace collects the times of one request's phases from
// net/http/httptrace. The hooks run on the transport's goroutines, so the
// times are guarded by mu.
type requestTrace struct {
	mu           sync.Mutex
	start        time.Time
	wroteRequest time.Time
	firstByte    time.Time
	end          time.Time
}

// begin starts timing a request and returns ctx with the hooks that record
// its phases. It discards the times of a request timed before.
func (t *requestTrace) begin(ctx context.Context) context.Context {
	t.mu.Lock()
	t.start = time.Now()
	t.wroteRequest, t.firstByte, t.end = time.Time{}, time.Time{}, time.Time{}
	t.mu.Unlock()

	// After a redirect both hooks run again, so the times are those of the
	// last hop, and sending includes the hops before it.
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) {
			t.mark(&t.wroteRequest)
		},
		GotFirstResponseByte: func() {
			t.mark(&t.firstByte)
		},
	})
}

// finish records that the body was read or the request failed.
func (t *requestTrace) finish() {
	t.mark(&t.end)
}

func (t *requestTrace) mark(at *time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*at = time.Now()
}

// timings splits the request's time into its phases. A phase that was never
// reached, because the request failed, takes the time up to the failure and
// leaves the later phases at zero.
func (t *requestTrace) timings() fieldlink.RequestTimings {
	t.mu.Lock()
	defer t.mu.Unlock()

	if t.start.IsZero() {
		return fieldlink.RequestTimings{}
	}
	end := t.end
	if end.IsZero() {
		end = time.Now()
	}
	wrote := t.wroteRequest
	if wrote.IsZero() {
		wrote = end
	}
	firstByte := t.firstByte
	if firstByte.IsZero() {
		firstByte = end
	}

	return fieldlink.RequestTimings{
		SendingMS: milliseconds(wrote.Sub(t.start)),
		WaitingMS: milliseconds(firstByte.Sub(wrote)),
		ReadingMS: milliseconds(end.Sub(firstByte)),
	}
}

// milliseconds returns d in whole milliseconds, never negative.
func milliseconds(d time.Duration) int64 {
	return max(d, 0).Milliseconds()
}
