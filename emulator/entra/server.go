package entra

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTokenLifetime is the lifetime of an access token when
// Options.TokenLifetime is zero: 3599 seconds, the expires_in Entra ID
// usually returns.
const DefaultTokenLifetime = 3599 * time.Second

// DefaultResource is the only resource accepted when Options.Resources is
// empty. It is an identifier: the emulator never sends a request to it.
const DefaultResource = "https://graph.microsoft.com"

// App is an application registration in the emulated tenant, with at most
// one client secret and any number of certificates.
type App struct {
	// ClientID is the application (client) ID, a GUID.
	ClientID    string
	DisplayName string

	// ClientSecret is the secret value the client sends.
	ClientSecret string

	// SecretID is the ID of the secret, a GUID. Sending it in place of the
	// value is a common mistake, and the emulator names it in the error.
	SecretID string

	// SecretExpires is when the secret stops working. The zero time means
	// it never expires.
	SecretExpires time.Time

	// Certificates lists the certificates registered for certificate
	// credentials (private_key_jwt, RFC 7523). The x5t#S256 or x5t header of
	// a client assertion selects one of them by its thumbprint, and its public
	// key checks the signature. Only the public part is needed. Use
	// Server.AddCertificate to register one after New.
	Certificates []*x509.Certificate

	// Roles lists the application permissions granted to the app, for
	// example "User.Read.All". They become the token's roles claim.
	Roles []string
}

// Options configures a Server.
type Options struct {
	// TenantID is the tenant's GUID. Requests for any other tenant fail with
	// AADSTS90002, so with an empty TenantID every request fails.
	TenantID string

	// Apps lists the registered applications.
	Apps []App

	// Resources lists the resource identifiers a scope may name before
	// "/.default", for example "https://graph.microsoft.com". Defaults to
	// DefaultResource.
	Resources []string

	// TokenLifetime is how long an access token is valid. Defaults to
	// DefaultTokenLifetime.
	TokenLifetime time.Duration

	// MaxAssertionLifetime is the longest time from a client assertion's nbf
	// to its exp that the server accepts. An assertion without nbf is
	// measured from its iat, and one without either from the current time.
	// Zero means no limit, as in Entra ID: its certificate credentials page
	// (January 2025) states that it places no restriction on exp, and
	// recommends assertions of 5-10 minutes.
	MaxAssertionLifetime time.Duration

	// RejectReplayedAssertions reports whether a client assertion is
	// rejected when its jti was already used by the same app and the first
	// assertion has not yet expired. Defaults to false, as in Entra ID,
	// which accepts a reused assertion: MSAL.NET has sent one signed
	// assertion for several requests in a row.
	RejectReplayedAssertions bool

	// Latency is waited before every response, so benchmarks can model a
	// token endpoint across a network. The wait ends early when the request
	// is canceled, and the server then sends nothing. Defaults to none.
	Latency time.Duration

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	// Logger receives one record per token request. It never receives a
	// secret or a token. Defaults to a logger that discards records.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Resources) == 0 {
		o.Resources = []string{DefaultResource}
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server is an emulated Entra ID tenant. It implements http.Handler and
// serves:
//
//	POST /{tenant}/oauth2/v2.0/token   the token endpoint
//	GET  /error?code={n}               the page error_uri points to
type Server struct {
	opts          Options
	key           *rsa.PrivateKey
	keyID         string
	tokenRequests atomic.Int64

	// mu guards certificates, usedAssertions and faults.
	mu sync.Mutex
	// certificates holds each app's certificates by lower-case client ID.
	certificates map[string][]*x509.Certificate
	// usedAssertions holds the expiry of each seen assertion by client ID
	// and jti, for RejectReplayedAssertions.
	usedAssertions map[assertionID]time.Time
	// faults holds the misbehaviours queued by FailNext, in order.
	faults []Fault
}

// New returns a Server for opts, with a new 2048-bit RSA signing key.
func New(opts Options) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		// GenerateKey fails only when crypto/rand fails, and New has no error
		// result to report it in.
		panic(fmt.Sprintf("generate entra emulator signing key: %v", err))
	}

	s := &Server{
		opts:           opts.withDefaults(),
		key:            key,
		keyID:          thumbprint(&key.PublicKey),
		certificates:   make(map[string][]*x509.Certificate),
		usedAssertions: make(map[assertionID]time.Time),
	}
	for _, app := range s.opts.Apps {
		id := strings.ToLower(app.ClientID)
		s.certificates[id] = append(s.certificates[id], app.Certificates...)
	}
	return s
}

// AddCertificate registers cert as a certificate credential of the app with
// clientID, in addition to App.Certificates. It returns an error when no app
// has that client ID.
func (s *Server) AddCertificate(clientID string, cert *x509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("add certificate to app %s: the certificate is nil", clientID)
	}
	if _, ok := s.findApp(clientID); !ok {
		return fmt.Errorf("add certificate to app %s: no app has this client ID; add it to Options.Apps first", clientID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id := strings.ToLower(clientID)
	s.certificates[id] = append(s.certificates[id], cert)
	return nil
}

// appCertificates returns the certificates registered for clientID.
func (s *Server) appCertificates(clientID string) []*x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*x509.Certificate(nil), s.certificates[strings.ToLower(clientID)]...)
}

// TokenRequests returns the number of requests the token endpoint received,
// rejected ones included. Tests use it to check that clients cache tokens.
func (s *Server) TokenRequests() int {
	return int(s.tokenRequests.Load())
}

// ServeHTTP routes a request to the token endpoint or the error page, after
// Options.Latency. A token request meets the next queued Fault, if any.
// A token request counts in TokenRequests as soon as it arrives, so one
// canceled during the wait counts too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenant, isToken := tokenPathTenant(r.URL.Path)
	if isToken {
		s.tokenRequests.Add(1)
	}
	if !s.sleep(r, s.opts.Latency) {
		return
	}

	if isToken {
		if f, ok := s.nextFault(); ok {
			s.serveFault(w, r, tenant, f)
			return
		}
	}

	switch {
	case isToken:
		s.serveToken(w, r, tenant)
	case r.URL.Path == "/error":
		s.serveErrorPage(w, r)
	default:
		http.NotFound(w, r)
	}
}

// sleep waits for d and reports whether the request is still wanted. It
// uses the real clock, not Options.Now, which tests may hold still.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}

	// net/http cancels the request's context when the client goes away
	// only once the body has been read to its end, so the body is read
	// first, up to one byte past the form limit that serveToken enforces.
	buffered, _ := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(buffered))
	ctx := r.Context()

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tokenPathTenant returns the tenant segment of a "/{tenant}/oauth2/v2.0/token"
// path.
func tokenPathTenant(path string) (string, bool) {
	tenant, rest, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || tenant == "" || rest != "oauth2/v2.0/token" {
		return "", false
	}
	return tenant, true
}

// serveErrorPage serves the page an error_uri links to: the code's short
// description.
func (s *Server) serveErrorPage(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.URL.Query().Get("code"))
	title, known := errorTitles[code]
	if err != nil || !known {
		http.Error(w, "unknown error code: pass ?code= with one of the codes in error_codes", http.StatusNotFound)
		return
	}

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "AADSTS%d: %s\n", code, title)
}

// thumbprint returns a key ID derived from the public key, like the base64url
// SHA-256 thumbprints Entra ID uses in the kid header.
func thumbprint(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(fmt.Sprintf("encode entra emulator public key: %v", err))
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:20])
}

// newGUID returns a random version 4 UUID in its canonical text form.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
