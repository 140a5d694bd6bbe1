package outbound

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultMaxResponseBytes is the response body limit when
// Options.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 10 << 20

// DefaultMaxResponseHeaderBytes is the response header limit when
// Options.MaxResponseHeaderBytes is zero. APIs and token endpoints usually
// send a few KiB of headers (an estimate), so 256 KiB leaves ample room.
// net/http's own default of 10 MiB would let each of many concurrent
// lookups buffer that much.
const DefaultMaxResponseHeaderBytes = 256 << 10

// MaxRedirects is how many redirects the client follows for one request.
const MaxRedirects = 5

// maxIdleConns bounds the idle connections a transport keeps, in total and
// per host, for reuse by later requests.
const maxIdleConns = 100

// defaultConnectTimeout bounds the dial and the TLS handshake of the client
// that HTTPClient and Do use. It equals fieldlink.DefaultConnectTimeout.
const defaultConnectTimeout = 10 * time.Second

// Options configures a Client. The zero value blocks loopback and private
// addresses and limits response bodies to 10 MiB.
type Options struct {
	// AllowLoopback allows 127.0.0.0/8 and ::1 for every datasource.
	// Defaults to false.
	AllowLoopback bool

	// AllowPrivate allows the private ranges of RFC 1918 (10/8, 172.16/12,
	// 192.168/16), RFC 4193 (fc00::/7) and the shared address space of
	// RFC 6598 (100.64/10) for every datasource. Defaults to false.
	AllowPrivate bool

	// MaxResponseBytes limits the size of a response body in bytes.
	// Defaults to 10 MiB.
	MaxResponseBytes int64

	// MaxResponseHeaderBytes limits the size of a response's status line
	// and headers in bytes. Defaults to DefaultMaxResponseHeaderBytes
	// (256 KiB).
	MaxResponseHeaderBytes int64

	// Logger receives a warning for each blocked address. Defaults to a
	// logger that discards.
	Logger *slog.Logger
}

// Client sends HTTP requests to upstream hosts through the address guard.
// It is safe for concurrent use.
type Client struct {
	guard          guard
	maxBytes       int64
	maxHeaderBytes int64
	logger         *slog.Logger
	http           *http.Client

	// fingerprints holds *fingerprintState values. Their HMACs, keyed with
	// a random key, name cached per-datasource clients, so the names kept
	// in memory reveal nothing of a TLS key.
	fingerprints sync.Pool

	mu      sync.Mutex
	clients map[string]*cachedClient
	uses    uint64
}

// New returns a Client configured by opts.
func New(opts Options) *Client {
	c := &Client{
		guard:          guard{allowLoopback: opts.AllowLoopback, allowPrivate: opts.AllowPrivate},
		maxBytes:       opts.MaxResponseBytes,
		maxHeaderBytes: opts.MaxResponseHeaderBytes,
		logger:         opts.Logger,
		clients:        make(map[string]*cachedClient),
	}
	fingerprintKey := []byte(rand.Text())
	c.fingerprints.New = func() any { return &fingerprintState{mac: hmac.New(sha256.New, fingerprintKey)} }
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.maxHeaderBytes <= 0 {
		c.maxHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}

	c.http = c.newHTTPClient(transportSettings{guard: c.guard, connectTimeout: defaultConnectTimeout})
	return c
}

// transportSettings is the configuration that a transport is built from.
type transportSettings struct {
	guard          guard
	connectTimeout time.Duration
	// tlsConfig is nil for the system roots without a client certificate.
	tlsConfig *tls.Config
}

// newHTTPClient returns a client whose transport dials through g, follows
// redirects by checkRedirect and limits response bodies.
func (c *Client) newHTTPClient(s transportSettings) *http.Client {
	g := s.guard
	dialer := &net.Dialer{
		Timeout:   s.connectTimeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			return control(g, address)
		},
	}
	transport := &http.Transport{
		// Proxy stays nil: a proxy from the environment would dial in our
		// place and bypass the address guard.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			return c.dial(ctx, dialer, network, address)
		},
		ForceAttemptHTTP2: true,
		MaxIdleConns:      maxIdleConns,
		// net/http keeps 2 idle connections per host by default. A burst of
		// lookups to one API would then open a new connection, with a TLS
		// handshake for HTTPS, for nearly every request.
		MaxIdleConnsPerHost: maxIdleConns,
		IdleConnTimeout:     90 * time.Second,
		// NOTE: the dial and the TLS handshake are each bounded by the
		// connect timeout, so establishing a connection can take up to
		// twice as long.
		TLSHandshakeTimeout:    s.connectTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: c.maxHeaderBytes,
	}
	if s.tlsConfig != nil {
		transport.TLSClientConfig = s.tlsConfig
	}

	return &http.Client{
		Transport:     &limitTransport{base: transport, maxBytes: c.maxBytes, maxHeaderBytes: c.maxHeaderBytes},
		CheckRedirect: checkRedirect,
	}
}

// HTTPClient returns the guarded *http.Client with the server-wide
// allowances, the default connect timeout and the system roots. It must not
// be modified. Requests for a datasource use For instead.
func (c *Client) HTTPClient() *http.Client {
	return c.http
}

// Do sends req through the guard with the client of HTTPClient. Reading the
// response body fails with a *ResponseTooLargeError past the size limit.
//
// Do and the clients of For send each request once and return 429 and 503
// responses as they are. Retries and Retry-After are left to the caller, as
// upstream.Client.Do does them for datasource requests.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	return c.http.Do(req)
}

// control runs after DNS resolution and before each connect, with the IP
// address that is about to be dialed, so a DNS answer that changes between a
// check and the dial cannot reach a blocked address.
func control(g guard, address string) error {
	addrPort, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("parse dialed address %q: %w", address, err)
	}

	if blocked := g.check(addrPort.Addr().WithZone("")); blocked != nil {
		return blocked
	}
	return nil
}

// dial connects through the guarded dialer. It adds the host name to an
// *AddressError because control receives only the resolved address.
func (c *Client) dial(ctx context.Context, dialer *net.Dialer, network, address string) (net.Conn, error) {
	conn, err := dialer.DialContext(ctx, network, address)
	if err == nil {
		return conn, nil
	}

	var blocked *AddressError
	if errors.As(err, &blocked) {
		host, _, splitErr := net.SplitHostPort(address)
		if splitErr != nil {
			host = address
		}
		blocked.Host = host
		c.logger.Warn("outbound connection blocked",
			slog.String("host", host),
			slog.String("addr", blocked.Addr.String()),
			slog.String("reason", blocked.Reason))
		return nil, blocked
	}
	return nil, err
}

// checkRedirect follows at most MaxRedirects redirects and blocks a downgrade
// from https to http. On a redirect to another host it keeps only content
// negotiation headers, so that credentials in custom headers, such as an API
// key, stay with the datasource's host. For the same reason it blocks a 307
// or 308 redirect to another host, which would resend the body, such as a
// token request's client_secret. Each hop dials through the guard.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("stopped after %d redirects at %s: point the URL at the final location", MaxRedirects, withoutQuery(req.URL))
	}

	prev := via[len(via)-1]
	if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("blocked redirect from https to %s: set the datasource's URL to the https location the API uses", withoutQuery(req.URL))
	}

	if req.URL.Host != via[0].URL.Host && req.Body != nil && req.Body != http.NoBody {
		return fmt.Errorf("blocked redirect of %s %s to another host, %s, because it would resend the request body: set the URL to the final location", via[0].Method, withoutQuery(via[0].URL), req.URL.Host)
	}

	if req.URL.Host != via[0].URL.Host {
		for name := range req.Header {
			if !keptOnCrossHostRedirect[http.CanonicalHeaderKey(name)] {
				req.Header.Del(name)
			}
		}
	}
	return nil
}

// withoutQuery returns u for an error message without its query and
// fragment and with its password hidden, because the query may carry an API
// key that the datasource adds to every URL, redirects included.
func withoutQuery(u *url.URL) string {
	trimmed := *u
	trimmed.RawQuery, trimmed.ForceQuery, trimmed.Fragment, trimmed.RawFragment = "", false, "", ""
	return trimmed.Redacted()
}

// keptOnCrossHostRedirect lists the headers that carry no credentials.
var keptOnCrossHostRedirect = map[string]bool{
	"Accept":          true,
	"Accept-Language": true,
	"Content-Type":    true,
	"User-Agent":      true,
}

// ResponseTooLargeError reports a response body past the size limit.
type ResponseTooLargeError struct {
	Host  string
	Limit int64
}

// Error names the host and the limit.
func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("response from %s is larger than the limit of %s: request less data (select fewer fields or rows)", e.Host, formatBytes(e.Limit))
}

// ResponseHeaderTooLargeError reports a response whose status line and
// headers are past the header size limit.
type ResponseHeaderTooLargeError struct {
	Host  string
	Limit int64
}

// Error names the host and the limit.
func (e *ResponseHeaderTooLargeError) Error() string {
	return fmt.Sprintf("response headers from %s are larger than the limit of %s: check that the URL points at the API itself, not at a web page or a proxy that sends many cookies", e.Host, formatBytes(e.Limit))
}

// isHeaderLimitError reports whether err is net/http's error for response
// headers past Transport.MaxResponseHeaderBytes.
// NOTE: net/http exports no error value for this, so the check matches the
// messages of its HTTP/1.1 and HTTP/2 transports (Go 1.26).
func isHeaderLimitError(err error) bool {
	message := err.Error()
	return strings.Contains(message, "server response headers exceeded") ||
		strings.Contains(message, "response header list larger than advertised limit")
}

// formatBytes writes n in MiB or KiB when it divides evenly, else in bytes.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitTransport rejects responses that declare a length past the limit and
// makes reading past the limit fail for the others. It turns the base
// transport's error for headers past their limit into a
// *ResponseHeaderTooLargeError.
type limitTransport struct {
	base           http.RoundTripper
	maxBytes       int64
	maxHeaderBytes int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil && isHeaderLimitError(err) {
		return nil, &ResponseHeaderTooLargeError{Host: req.URL.Host, Limit: t.maxHeaderBytes}
	}
	if err != nil {
		return nil, err
	}

	tooLarge := &ResponseTooLargeError{Host: req.URL.Host, Limit: t.maxBytes}
	if resp.ContentLength > t.maxBytes {
		resp.Body.Close()
		return nil, tooLarge
	}

	resp.Body = &limitedBody{body: resp.Body, remaining: t.maxBytes, err: tooLarge}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the base transport,
// so http.Client.CloseIdleConnections reaches it.
func (t *limitTransport) CloseIdleConnections() {
	if closer, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}

// limitedBody returns err once more than the limit has been read.
type limitedBody struct {
	body      io.ReadCloser
	remaining int64
	err       error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.remaining < 0 {
		return 0, b.err
	}

	// Read at most one byte past the limit, which is enough to detect it.
	if int64(len(p)) > b.remaining+1 {
		p = p[:b.remaining+1]
	}
	n, err := b.body.Read(p)
	if int64(n) > b.remaining {
		n = int(b.remaining)
		b.remaining = -1
		return n, b.err
	}
	b.remaining -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error {
	return b.body.Close()
}
