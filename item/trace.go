package item

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink"
)

// MaxTracedResponse is the number of bytes of each response body a Trace
// keeps.
const MaxTracedResponse = 64 << 10

// Trace is every step of one evaluation, for the item tester.
type Trace struct {
	// Requests has one entry per page requested, in order.
	Requests []TracedRequest `json:"requests"`
	// Rows are the rows the root selected over all pages, at most the
	// item's MaxRows.
	Rows []any `json:"rows"`
	// ProcessingMS is the time spent selecting rows, reading next links and
	// rendering templates, in milliseconds.
	ProcessingMS int64                `json:"processingMs"`
	Result       fieldlink.ItemResult `json:"result"`
	// Error is the failure, when there was one. The other fields still hold
	// what was done before it.
	Error string `json:"error,omitempty"`
}

// TracedRequest is one page request and its response.
type TracedRequest struct {
	Method string `json:"method"`
	// URL is the absolute URL, with the values of query parameters whose
	// names look like secrets (key, token, secret, password, signature and
	// the like) replaced by REDACTED. The datasource's own authentication is
	// added by the Upstream and does not appear.
	URL string `json:"url"`
	// Headers are the item's headers, without the datasource's, with
	// secret-looking values replaced by REDACTED.
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	// Status is the response status, or 0 when no response arrived.
	Status  int                      `json:"status"`
	Timings fieldlink.RequestTimings `json:"timings"`
	// Response is the start of the response body, at most MaxTracedResponse
	// bytes; ResponseTruncated reports whether it was cut.
	Response          string `json:"response"`
	ResponseTruncated bool   `json:"responseTruncated,omitempty"`
}

// tracingUpstream is an Upstream that also measures where a request's time
// went. Trace uses it when the engine's Upstream has it.
type tracingUpstream interface {
	DoTraced(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, fieldlink.RequestTimings, error)
}

// Trace evaluates it like Evaluate but bypasses the cache and records every
// step for the tester: each page's request and response, the rows, the
// processing time and the result. When the Upstream has a DoTraced method
// each request's timings are filled in; otherwise they stay zero.
//
// A failing step is recorded in Trace.Error and Trace keeps what was done
// before it, with a nil error. The error is non-nil only when the item
// itself is invalid (a *fieldlink.Error naming the field, as Validate
// returns) or no Upstream is configured.
func (e *Engine) Trace(ctx context.Context, it fieldlink.Item, ds fieldlink.Datasource, tc fieldlink.TicketContext) (Trace, error) {
	trace := Trace{Requests: []TracedRequest{}, Rows: []any{}}

	c, err := compileItem(it)
	if err != nil {
		trace.Error = err.Error()
		return trace, err
	}
	if e.upstream == nil {
		err := errors.New("no upstream is configured for the items engine")
		trace.Error = err.Error()
		return trace, err
	}

	env, err := contextEnv(tc)
	if err != nil {
		trace.Error = err.Error()
		return trace, nil
	}
	req, err := c.render(env)
	if err != nil {
		trace.Error = fmt.Errorf("render request of item %q: %w", it.Name, err).Error()
		return trace, nil
	}

	send := func(ctx context.Context, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		resp, timings, err := e.sendTraced(ctx, ds, req)
		trace.Requests = append(trace.Requests, traceRequest(ds, req, resp, timings, err))
		return resp, err
	}
	pages, fetchErr := e.fetchPages(ctx, c, ds, req, send)
	trace.Rows = append(trace.Rows, pages.rows...)
	processing := pages.selecting
	if fetchErr != nil {
		trace.Error = fetchErr.Error()
	}

	// Rows from the pages fetched before a failure still show what the
	// templates make of them.
	if pages.pages > 0 {
		start := e.now()
		result, err := c.result(pages, env, tc.UserInput, true)
		processing += e.now().Sub(start)
		if err != nil && fetchErr == nil {
			trace.Error = err.Error()
		}
		if err == nil {
			trace.Result = result
		}
	}

	trace.ProcessingMS = processing.Milliseconds()
	return trace, nil
}

// sendTraced sends req with the Upstream's DoTraced when it has one.
func (e *Engine) sendTraced(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, fieldlink.RequestTimings, error) {
	if traced, ok := e.upstream.(tracingUpstream); ok {
		return traced.DoTraced(ctx, ds, req)
	}
	resp, err := e.upstream.Do(ctx, ds, req)
	return resp, fieldlink.RequestTimings{}, err
}

// traceRequest records one request and its response without secrets.
func traceRequest(ds fieldlink.Datasource, req fieldlink.UpstreamRequest, resp fieldlink.UpstreamResponse, timings fieldlink.RequestTimings, err error) TracedRequest {
	traced := TracedRequest{
		Method:  req.Method,
		URL:     redactURL(ds, req.Path),
		Body:    string(req.Body),
		Timings: timings,
	}

	if len(req.Header) > 0 {
		traced.Headers = make(map[string]string, len(req.Header))
		for name, values := range req.Header {
			value := strings.Join(values, ", ")
			if looksSecret(name) || isCredentialHeader(name) {
				value = redacted
			}
			traced.Headers[name] = value
		}
	}

	if err == nil {
		traced.Status = resp.Status
		traced.Response, traced.ResponseTruncated = capBody(resp.Body)
	}
	return traced
}

// redacted replaces a secret in a trace.
const redacted = "REDACTED"

// secretWords are parts of query parameter and header names whose values are
// treated as secrets, such as api_key, access_token, client_secret or sig.
// NOTE: redaction goes by name only, so a secret in a parameter with another
// name, or in the path or body, is shown as the item's template wrote it.
var secretWords = []string{"key", "token", "secret", "password", "passwd", "pwd", "signature", "sig", "auth", "credential", "session"}

func looksSecret(name string) bool {
	lower := strings.ToLower(name)
	for _, word := range secretWords {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

func isCredentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "cookie", "proxy-authorization", "authorization":
		return true
	}
	return false
}

// redactURL returns the absolute URL of path with secret-looking query
// values, the datasource's API key parameter and any password replaced.
func redactURL(ds fieldlink.Datasource, path string) string {
	u, err := requestURL(ds.BaseURL, path)
	if err != nil {
		return pathOnly(path)
	}

	var pairs []string
	for _, pair := range strings.Split(u.RawQuery, "&") {
		key, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if hasValue && (looksSecret(name) || (ds.Auth.APIKeyName != "" && strings.EqualFold(name, ds.Auth.APIKeyName))) {
			pair = key + "=" + redacted
		}
		pairs = append(pairs, pair)
	}
	u.RawQuery = strings.Join(pairs, "&")
	return u.Redacted()
}

// capBody returns body as text, cut to MaxTracedResponse bytes at a
// character boundary. truncated reports whether it was cut.
func capBody(body []byte) (text string, truncated bool) {
	if len(body) <= MaxTracedResponse {
		return strings.ToValidUTF8(string(body), "\uFFFD"), false
	}

	cut := body[:MaxTracedResponse]
	for i := 0; i < utf8.UTFMax-1 && len(cut) > 0; i++ {
		r, size := utf8.DecodeLastRune(cut)
		if r != utf8.RuneError || size != 1 {
			break
		}
		cut = cut[:len(cut)-1]
	}
	return strings.ToValidUTF8(string(cut), "\uFFFD"), true
}
