package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
)

// userAgent identifies fieldlink to the APIs it calls.
const userAgent = "fieldlink"

// Client sends requests to datasources' APIs. It implements
// fieldlink.Upstream and is safe for concurrent use.
type Client struct {
	http     *outbound.Client
	creds    *credential.Cache
	logger   *slog.Logger
	recorder HealthRecorder
	now      func() time.Time
	clock    Clock
	// jitter returns a random wait between zero and its argument.
	jitter func(time.Duration) time.Duration
}

var _ fieldlink.Upstream = (*Client)(nil)

// Option changes a Client built by New.
type Option func(*Client)

// WithRecorder makes the Client report the outcome of token and API
// requests and of Test connection to r. Without it nothing is recorded.
func WithRecorder(r HealthRecorder) Option {
	return func(c *Client) { c.recorder = r }
}

// New returns a Client that sends requests through each datasource's client
// from http, with credentials from creds. A nil logger discards.
func New(http *outbound.Client, creds *credential.Cache, logger *slog.Logger, opts ...Option) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	c := &Client{http: http, creds: creds, logger: logger, now: time.Now, clock: systemClock{}, jitter: fullJitter}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Do sends req to the datasource's API and implements fieldlink.Upstream.
// It appends req.Path, which is already escaped and may carry a query, to
// BaseURL with one slash between them and escapes nothing again. A Path that
// is an absolute URL, such as a next-page link, must be on the datasource's
// own scheme, host and port. Do adds the datasource's headers and
// credentials. After a 401 to a fetched token it drops the token and sends
// the request once more.
//
// Do retries a 429 or 503 response for any method, and a 500, 502 or 504
// response, a connection error or a response cut short (see
// IncompleteResponseError) for GET, up to MaxRetries times. It waits
// for the time the Retry-After header specifies (whole seconds, decimal
// seconds or an HTTP-date) or else by exponential backoff with full jitter
// from 500 ms up to 30 s. ds.Timeout() bounds each attempt, token request included, and the
// whole call, waits included, ends after twice that or 60 s, whichever is
// less. When a Retry-After asks for a longer wait than is left, Do returns
// the response together with a *RetryLaterError that says when to call
// again. Otherwise the last response is returned without error. A retry that
// the end of the call's budget cuts short is not returned: the attempt
// before it is, because its outcome came from the API.
//
// A response with any status is returned without error, so the caller
// decides what a 404 means. Errors are transport, authentication and size
// limit failures, and credential.HintFor gives the next step for them.
//
// A datasource whose Health marks its current configuration as broken fails
// at once with an *UnhealthyError, without a token request. The outcome of
// every other call goes to the HealthRecorder, when there is one.
func (c *Client) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	r, err := c.prepare(ctx, ds, req)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}

	resp, err := c.doWithRetries(ctx, r)
	c.record(ctx, r, resp, err)
	return resp, err
}

// call is one request to a datasource's API, ready to send.
type call struct {
	ds         fieldlink.Datasource
	httpClient *http.Client
	authorizer credential.Authorizer

	method string
	target string
	header http.Header
	body   []byte

	// redactedURL is target with the datasource's secrets redacted, empty
	// until displayURL first computes it.
	redactedURL string
}

// displayURL returns target with the datasource's secrets redacted, for
// errors and logs. Redaction runs several regular expressions, so it waits
// for the first error or log record that needs it.
func (r *call) displayURL() string {
	if r.redactedURL == "" {
		r.redactedURL = outbound.Redact(r.target, secretsOf(r.ds.Auth)...)
	}
	return r.redactedURL
}

// displayURLWithoutQuery returns displayURL without its query, for error
// messages that should stay short.
func (r *call) displayURLWithoutQuery() string {
	before, _, _ := strings.Cut(r.displayURL(), "?")
	return before
}

// hostAndPath returns the host and the path of target, for logs.
func (r *call) hostAndPath() (host, path string) {
	u, err := url.Parse(r.target)
	if err != nil {
		return "", ""
	}
	return u.Host, u.Path
}

// prepare checks ds's health, builds the request's URL and finds the HTTP
// client and the credentials for ds.
func (c *Client) prepare(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (*call, error) {
	if err := unhealthyError(ds); err != nil {
		return nil, err
	}

	target, err := joinURL(ds.BaseURL, req.Path)
	if err != nil {
		return nil, fmt.Errorf("datasource %s: %w", ds.ID, err)
	}

	httpClient, err := c.http.For(ds)
	if err != nil {
		c.recordFailure(ctx, ds, err)
		return nil, err
	}
	authorizer, err := c.creds.Authorizer(ds)
	if err != nil {
		c.recordFailure(ctx, ds, err)
		return nil, err
	}

	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r := &call{
		ds:         ds,
		httpClient: httpClient,
		authorizer: authorizer,
		method:     method,
		target:     target,
		header:     req.Header,
		body:       req.Body,
	}
	return r, nil
}

// attempt sends r once within timeout, and once more with a new token when
// the API rejects a fetched one. A non-nil trace records the phases of the
// last request sent.
func (c *Client) attempt(ctx context.Context, r *call, timeout time.Duration, trace *requestTrace) (fieldlink.UpstreamResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	resp, err := c.send(ctx, r.ds, r.httpClient, r.authorizer, r.method, r.target, r.header, r.body, trace)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}

	// Only a fetched token can be replaced. Static credentials would fail
	// the same way again.
	if _, fetchesTokens := r.authorizer.(credential.TokenFetcher); resp.Status == http.StatusUnauthorized && fetchesTokens {
		host, _ := r.hostAndPath()
		c.logger.Info("API rejected the access token, retrying once with a new token",
			slog.String("datasource", r.ds.ID),
			slog.String("host", host))
		r.authorizer.Invalidate()
		return c.send(ctx, r.ds, r.httpClient, r.authorizer, r.method, r.target, r.header, r.body, trace)
	}
	return resp, nil
}

// record passes the outcome of a call to the HealthRecorder: the response
// when there is one, else the error.
func (c *Client) record(ctx context.Context, r *call, resp fieldlink.UpstreamResponse, err error) {
	if resp.Status == 0 {
		if err != nil {
			c.recordFailure(ctx, r.ds, err)
		}
		return
	}
	c.recordResponse(ctx, r.ds, r.method, r.displayURL, resp)
}

// send makes one request with httpClient and reads the response body in
// full. A non-nil trace records the request's phases.
func (c *Client) send(ctx context.Context, ds fieldlink.Datasource, httpClient *http.Client, authorizer credential.Authorizer, method, target string, header http.Header, body []byte, trace *requestTrace) (fieldlink.UpstreamResponse, error) {
	// Redaction is costly, so only a failure computes the redacted URL.
	displayURL := func() string { return outbound.Redact(target, secretsOf(ds.Auth)...) }

	httpReq, err := newRequest(ctx, ds, method, target, header, body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("build request %s %s: %w", method, displayURL(), err)
	}
	if err := authorizer.Authorize(ctx, httpReq); err != nil {
		return fieldlink.UpstreamResponse{}, err
	}

	// The trace starts after Authorize, so a token request does not count
	// as sending this request.
	if trace != nil {
		httpReq = httpReq.WithContext(trace.begin(httpReq.Context()))
		defer trace.finish()
	}

	start := time.Now()
	resp, err := httpClient.Do(httpReq)
	if err != nil {
		return fieldlink.UpstreamResponse{}, &roundTripError{err: fmt.Errorf("%s %s: %w", method, displayURL(), unwrapURLError(err))}
	}
	defer resp.Body.Close()

	respBody, err := readBody(method, displayURL, resp)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	respBody = redactCredentials(respBody, ds, httpReq)

	c.logger.Debug("upstream request",
		slog.String("datasource", ds.ID),
		slog.String("method", method),
		slog.String("host", httpReq.URL.Host),
		slog.String("path", httpReq.URL.Path),
		slog.Int("status", resp.StatusCode),
		slog.Duration("duration", time.Since(start)))
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: respBody}, nil
}

// newRequest builds the request with headers in increasing precedence:
// defaults, the datasource's headers, then the request's own headers.
// Credentials are added afterwards and replace any of these.
func newRequest(ctx context.Context, ds fieldlink.Datasource, method, target string, header http.Header, body []byte) (*http.Request, error) {
	var reader io.Reader
	if len(body) > 0 {
		reader = bytes.NewReader(body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, err
	}

	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", userAgent)
	if len(body) > 0 {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	for name, value := range ds.Headers {
		httpReq.Header.Set(name, value)
	}
	for name, values := range header {
		httpReq.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
	}
	return httpReq, nil
}

// unwrapURLError drops the *url.Error around err, whose message repeats the
// request URL after credentials were added to it (an API key in the query).
func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// secretsOf returns the secret values of a, for redaction.
func secretsOf(a fieldlink.Auth) []string {
	var secrets []string
	for _, field := range a.SecretFields() {
		if *field != "" {
			secrets = append(secrets, *field)
		}
	}
	return secrets
}
