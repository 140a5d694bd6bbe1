package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// MaxRetries is how many times Do repeats a request after the first
// attempt fails in a way that may pass.
const MaxRetries = 4

// Backoff between retries when the API sends no Retry-After: a random wait
// between zero and retryBaseDelay·2ⁿ before retry n+1, at most retryMaxDelay
// ("full jitter"), so that many clients throttled together do not retry in
// step.
const (
	retryBaseDelay = 500 * time.Millisecond
	retryMaxDelay  = 30 * time.Second
)

// maxCallDuration bounds one call of Do, its retries and waits included,
// whatever the datasource's timeout.
const maxCallDuration = 60 * time.Second

// callBudget returns how long one call of Do may take with its retries:
// twice the datasource's timeout, at most maxCallDuration.
func callBudget(timeout time.Duration) time.Duration {
	return min(2*timeout, maxCallDuration)
}

// Clock supplies the current time and the waits between retries. Tests
// replace it so that retries happen without real waiting.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or returns ctx's error when ctx is done first.
	Sleep(ctx context.Context, d time.Duration) error
}

// systemClock is the Clock of the system's time.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()

	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithClock makes the Client read the time from clock and wait between
// retries with clock.Sleep. Defaults to the system's clock.
func WithClock(clock Clock) Option {
	return func(c *Client) {
		c.clock = clock
		c.now = clock.Now
	}
}

// fullJitter returns a random wait between zero and ceiling, inclusive.
func fullJitter(ceiling time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// backoff returns the wait before retry number retries+1 when the API sent
// no Retry-After.
func (c *Client) backoff(retries int) time.Duration {
	ceiling := retryMaxDelay
	if retries < 16 {
		ceiling = min(retryBaseDelay<<retries, retryMaxDelay)
	}
	return c.jitter(ceiling)
}

// doWithRetries sends r and repeats it as Do documents: a 429 or 503 for any
// method, a 500, 502 or 504, a connection error or a response cut short for
// GET. It waits for the time the Retry-After header specifies, or by
// backoff, within MaxRetries and the call's time budget.
//
// A retry that the end of the budget cuts short shows nothing about the
// API, so the outcome of the attempt before it is returned in its place.
func (c *Client) doWithRetries(ctx context.Context, r *call) (fieldlink.UpstreamResponse, error) {
	timeout := r.ds.Timeout()
	budget := callBudget(timeout)
	deadline := c.clock.Now().Add(budget)

	var previousResp fieldlink.UpstreamResponse
	var previousErr error
	for retries := 0; ; retries++ {
		attemptTimeout := min(timeout, deadline.Sub(c.clock.Now()))
		resp, err := c.attempt(ctx, r, attemptTimeout, nil)
		if retries > 0 && attemptTimeout < timeout && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			c.logGivingUp(r, previousResp, previousErr, retries-1, "time budget spent")
			return previousResp, previousErr
		}
		if !shouldRetry(ctx, r.method, resp, err) {
			return resp, err
		}
		previousResp, previousErr = resp, err

		wait, requested := c.retryWait(resp, retries)
		remaining := deadline.Sub(c.clock.Now())
		switch {
		case retries == MaxRetries:
			c.logGivingUp(r, resp, err, retries, "retry limit reached")
			return resp, err
		case requested && wait >= remaining:
			retryErr := newRetryLaterError(r, resp, retries, wait, c.clock.Now(), budget)
			c.logGivingUp(r, resp, err, retries, "Retry-After is past the time budget")
			return resp, retryErr
		case wait >= remaining:
			c.logGivingUp(r, resp, err, retries, "time budget spent")
			return resp, err
		}

		c.logRetry(r, resp, err, retries+1, wait, requested)
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return fieldlink.UpstreamResponse{}, fmt.Errorf("wait %s to retry %s %s: %w", wait, r.method, r.displayURL(), err)
		}
	}
}

// retryWait returns the wait before the next retry and reports whether the
// API asked for it with a Retry-After header.
func (c *Client) retryWait(resp fieldlink.UpstreamResponse, retries int) (time.Duration, bool) {
	if resp.Status != 0 {
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now()); ok {
			return wait, true
		}
	}
	return c.backoff(retries), false
}

// shouldRetry reports whether the outcome of one attempt may change when the
// request is sent again. A 429 or 503 means the API did not process the
// request, so every method is retried. Other server errors, connection
// errors and responses cut short may come after the API acted, so only GET,
// which is safe to repeat, is retried. Other 4xx statuses would fail the
// same way again.
func shouldRetry(ctx context.Context, method string, resp fieldlink.UpstreamResponse, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		var incomplete *IncompleteResponseError
		return method == http.MethodGet && (isConnectionError(err) || errors.As(err, &incomplete))
	}

	switch resp.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return method == http.MethodGet
	}
	return false
}

// roundTripError is a failure of http.Client.Do, before the response
// headers were read.
type roundTripError struct {
	err error
}

func (e *roundTripError) Error() string { return e.err.Error() }

func (e *roundTripError) Unwrap() error { return e.err }

// isConnectionError reports whether err is a failure to connect or to
// receive the response headers that a new attempt may not repeat. These are
// a refused or reset connection, a connection closed before the response, a
// temporary DNS failure and the attempt's timeout. A blocked address, a
// certificate that fails verification or a response over the size limit
// would fail the same way again.
func isConnectionError(err error) bool {
	var roundTrip *roundTripError
	if !errors.As(err, &roundTrip) {
		return false
	}

	var (
		blocked          *outbound.AddressError
		tooLarge         *outbound.ResponseTooLargeError
		verification     *tls.CertificateVerificationError
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &blocked), errors.As(err, &tooLarge), errors.As(err, &verification),
		errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &recordHeader):
		return false
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}

	// A TLS alert from the server, such as one rejecting the client
	// certificate, comes as an *net.OpError with this Op.
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op != "remote error"
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED)
}

// logRetry records one retry at Debug level, because retries are routine
// under throttling. logGivingUp records the end of retrying at Warn level.
func (c *Client) logRetry(r *call, resp fieldlink.UpstreamResponse, err error, retry int, wait time.Duration, requested bool) {
	waitSource := "backoff"
	if requested {
		waitSource = "Retry-After"
	}
	attrs := append(r.logAttrs(resp, err),
		slog.Int("retry", retry),
		slog.Duration("wait", wait),
		slog.String("wait_source", waitSource))
	c.logger.Debug("retrying upstream request", attrs...)
}

func (c *Client) logGivingUp(r *call, resp fieldlink.UpstreamResponse, err error, retries int, reason string) {
	attrs := append(r.logAttrs(resp, err),
		slog.Int("retries", retries),
		slog.String("reason", reason))
	c.logger.Warn("upstream request not retried further", attrs...)
}

// logAttrs names the request and its outcome for a log record, without the
// query, which may carry an API key.
func (r *call) logAttrs(resp fieldlink.UpstreamResponse, err error) []any {
	host, path := r.hostAndPath()
	attrs := []any{
		slog.String("datasource", r.ds.ID),
		slog.String("method", r.method),
		slog.String("host", host),
		slog.String("path", path),
	}
	if err != nil {
		return append(attrs, slog.String("error", err.Error()))
	}
	return append(attrs, slog.Int("status", resp.Status))
}
