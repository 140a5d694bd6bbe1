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

	c := &Client{http: http, creds: creds, logger: logger, now: time.Now}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Do sends req to the datasource's API and implements fieldlink.Upstream.
// It appends req.Path, which is already escaped and may carry a query, to
// BaseURL with one slash between them and escapes nothing again. It adds the
// datasource's headers and credentials, and ds.Timeout() bounds the whole
// call, token request included. After a 401 to a fetched token it drops the
// token and retries once.
//
// A response with any status is returned without error, so the caller
// decides what a 404 means. Errors are transport, authentication and size
// limit failures, and credential.HintFor gives the next step for them.
//
// A datasource whose Health marks its current configuration as broken fails
// at once with an *UnhealthyError, without a token request. The outcome of
// every other call goes to the HealthRecorder, when there is one.
func (c *Client) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	if err := unhealthyError(ds); err != nil {
		return fieldlink.UpstreamResponse{}, err
	}

	target, err := joinURL(ds.BaseURL, req.Path)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("datasource %s: %w", ds.ID, err)
	}

	httpClient, err := c.http.For(ds)
	if err != nil {
		c.recordFailure(ctx, ds, err)
		return fieldlink.UpstreamResponse{}, err
	}
	authorizer, err := c.creds.Authorizer(ds)
	if err != nil {
		c.recordFailure(ctx, ds, err)
		return fieldlink.UpstreamResponse{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()

	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	resp, err := c.send(ctx, ds, httpClient, authorizer, method, target, req.Header, req.Body)
	if err != nil {
		c.recordFailure(ctx, ds, err)
		return fieldlink.UpstreamResponse{}, err
	}

	// Only a fetched token can be replaced. Static credentials would fail
	// the same way again.
	if _, fetchesTokens := authorizer.(credential.TokenFetcher); resp.Status == http.StatusUnauthorized && fetchesTokens {
		c.logger.Info("API rejected the access token, retrying once with a new token",
			slog.String("datasource", ds.ID),
			slog.String("host", hostOf(target)))
		authorizer.Invalidate()
		resp, err = c.send(ctx, ds, httpClient, authorizer, method, target, req.Header, req.Body)
		if err != nil {
			c.recordFailure(ctx, ds, err)
			return fieldlink.UpstreamResponse{}, err
		}
	}

	c.recordResponse(ctx, ds, method, outbound.Redact(target, secretsOf(ds.Auth)...), resp)
	return resp, nil
}

// send makes one request with httpClient and reads the response body in
// full.
func (c *Client) send(ctx context.Context, ds fieldlink.Datasource, httpClient *http.Client, authorizer credential.Authorizer, method, target string, header http.Header, body []byte) (fieldlink.UpstreamResponse, error) {
	secrets := secretsOf(ds.Auth)
	displayURL := outbound.Redact(target, secrets...)

	httpReq, err := newRequest(ctx, ds, method, target, header, body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("build request %s %s: %w", method, displayURL, err)
	}
	if err := authorizer.Authorize(ctx, httpReq); err != nil {
		return fieldlink.UpstreamResponse{}, err
	}

	start := time.Now()
	resp, err := httpClient.Do(httpReq)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("%s %s: %w", method, displayURL, unwrapURLError(err))
	}
	defer resp.Body.Close()

	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("read response of %s %s: %w", method, displayURL, err)
	}

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

func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Host
}
