// Package server assembles fieldlink from its parts: the data folder, the
// sealed SQLite store, the outbound client, credentials, the items engine,
// the job queue and the REST API, and serves them on one listener.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/metrics"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/queue"
	"github.com/fieldlink/fieldlink/rule"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/triage"
	"github.com/fieldlink/fieldlink/upstream"
	"github.com/fieldlink/fieldlink/webui"
)

// Config configures a server.
type Config struct {
	// Listen is the address to serve on. Defaults to 127.0.0.1:8080.
	Listen string

	// DataDir holds the SQLite database and the master key file. It is
	// created with owner-only permissions when missing.
	DataDir string

	// Database is a postgres:// URL that moves every table and the job
	// queue to PostgreSQL, where any number of replicas may share them.
	// Empty means the SQLite file fieldlink.db in DataDir.
	Database string

	// JobTimeout bounds how long one ticket event may be processed. On
	// PostgreSQL, an event whose replica stopped while processing it is
	// taken up by another replica 2×JobTimeout to 2×JobTimeout + 36s after
	// its processing began, as queue.Options.JobTimeout explains. Defaults
	// to one minute.
	JobTimeout time.Duration

	// MasterKey is the base64 key that seals secrets at rest, or several
	// separated by commas, newest first, during a key rotation. Empty means
	// the key file master.key in DataDir, created on first start.
	MasterKey string

	// AdminToken is the bearer token the admin API accepts. Empty means a
	// token generated on first start, whose hash is kept in the database.
	AdminToken string

	// AllowLoopback lets datasources reach 127.0.0.0/8 and ::1.
	AllowLoopback bool

	// AllowPrivate lets datasources reach private network ranges.
	AllowPrivate bool

	// ForEmulators reports that the allowances exist for the built-in
	// emulators of the demo, so the start-up warning about them is left out.
	ForEmulators bool

	// PublicURL is the address Jira reaches this server at, used in hook
	// URLs. Empty means the address of the request that creates or reads a
	// hook.
	PublicURL string

	// Workers is the number of ticket events processed at once. Defaults
	// to queue.DefaultSQLiteWorkers or queue.DefaultPostgresWorkers.
	Workers int

	// OIDC configures single sign-on. The zero value turns it off.
	OIDC OIDCConfig

	Logger *slog.Logger
}

// Server is a running fieldlink.
type Server struct {
	// GeneratedAdminToken is set when this start created the admin token,
	// so the caller can show it once. It is never logged.
	GeneratedAdminToken string

	db       *store.DB
	forget   func(store.Change)
	sessions *auth.Manager
	sso      *httpapi.SSO
	queue    *queue.Queue
	http     *http.Server
	listener net.Listener
	logger   *slog.Logger
	done     chan error

	// routes lists the ServeMux patterns of the API, single sign-on and
	// the admin pages, for Routes.
	routes []string

	// stopBackground ends the background checks started with the server.
	stopBackground context.CancelFunc

	// queueRunning reports, for GET /readyz, that the queue has started
	// and Shutdown has not begun.
	queueRunning atomic.Bool
}

const (
	adminTokenSetting = "admin_token_sha256"
	keyCheckSetting   = "master_key_check"

	// minAdminTokenLength keeps a guessable word from being the admin token.
	minAdminTokenLength = 16

	// maxHeaderBytes bounds a request's line and headers. Past it (and the
	// 4 KiB that net/http reads beyond it) a request gets 431 Request
	// Header Fields Too Large. 64 KiB is many times a session cookie, a
	// bearer token and Jira's webhook headers together, where net/http's
	// default of 1 MiB would let every connection buffer that much.
	maxHeaderBytes = 64 << 10
)

// Start opens the data folder, applies migrations, starts the queue and
// begins serving. Stop it with Shutdown.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	logger := cfg.Logger

	if err := validatePublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	if err := cfg.OIDC.validate(cfg.PublicURL); err != nil {
		return nil, err
	}
	if err := store.CheckDatabaseName(cfg.Database); err != nil {
		return nil, err
	}
	if cfg.AdminToken != "" && len(cfg.AdminToken) < minAdminTokenLength {
		return nil, fmt.Errorf("FIELDLINK_ADMIN_TOKEN is %d characters long: use at least %d random characters, for example from \"openssl rand -hex 32\"",
			len(cfg.AdminToken), minAdminTokenLength)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	// A key file is read again when a value sealed under a key ID it lacked
	// turns up, so a key rotation by "fieldlink keys rotate" needs no restart.
	keyFile := filepath.Join(cfg.DataDir, "master.key")
	if err := requireSharedKey(cfg, keyFile); err != nil {
		return nil, err
	}
	sealer, created, err := seal.LoadSealer(cfg.MasterKey, keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Info("created master key file: back it up, sealed secrets cannot be read without it", "path", keyFile)
	}

	database := cfg.Database
	if database == "" {
		database = filepath.Join(cfg.DataDir, "fieldlink.db")
	}
	if !store.IsPostgresURL(database) {
		if err := createPrivateFile(database); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, database, sealer, logger)
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, logger: logger, done: make(chan error, 1)}

	if err := checkMasterKey(ctx, db, sealer); err != nil {
		db.Close()
		return nil, err
	}
	if (cfg.AllowLoopback || cfg.AllowPrivate) && !cfg.ForEmulators {
		logger.Warn("datasources may reach "+allowedRanges(cfg)+": use this for tests and local APIs only",
			"allowLoopback", cfg.AllowLoopback, "allowPrivate", cfg.AllowPrivate)
	}

	adminHash, generated, err := adminTokenHash(ctx, db, cfg.AdminToken)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.GeneratedAdminToken = generated

	api, err := s.assemble(cfg, adminHash)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := s.queue.Start(context.WithoutCancel(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	s.queueRunning.Store(true)

	listener, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = s.queue.Stop(ctx)
		db.Close()
		return nil, fmt.Errorf("listen on %s: %w (choose another address with --listen)", cfg.Listen, err)
	}
	s.listener = listener

	// The admin pages share the listener with the API, which keeps every
	// route the pages do not register.
	mux := http.NewServeMux()
	mux.Handle("/", api)
	s.routes = api.Routes()
	if s.sso != nil {
		s.sso.Register(mux)
		s.routes = append(s.routes, s.sso.Routes()...)
	}
	pages := webui.New(webui.Options{SignedInFunc: s.signedIn, Logger: logger})
	pages.Register(mux)
	s.routes = append(s.routes, pages.Routes()...)

	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		err := s.http.Serve(listener)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()

	background, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBackground = stop
	go watchExpiry(background, db, logger)
	go s.watchChanges(background)

	logger.Info("fieldlink listening", "url", s.URL(), "database", db.Name(), "data", cfg.DataDir)
	return s, nil
}

// assemble wires the parts together and returns the API handler.
func (s *Server) assemble(cfg Config, adminHash [sha256.Size]byte) (*httpapi.Server, error) {
	logger := cfg.Logger
	out := outbound.New(outbound.Options{AllowLoopback: cfg.AllowLoopback, AllowPrivate: cfg.AllowPrivate, Logger: logger})
	creds := credential.NewCache(out.For, logger)
	up := upstream.New(out, creds, logger, upstream.WithRecorder(upstream.NewStoreRecorder(s.db, logger)))
	engine := item.NewEngine(item.Options{Upstream: up, Logger: logger})
	s.forget = changeForgetter(engine, creds)

	processor := &triage.Processor{Store: s.db, Items: engine, Jira: jira.NewClient(up), Logger: logger}
	// The embedded database belongs to this process alone, so jobs that
	// are marked running were left by a process that stopped. On
	// PostgreSQL another replica may be running them, and only River's
	// rescuer hands them back, after twice the job timeout.
	q, err := queue.New(queue.Options{Store: s.db, Processor: processor, Workers: cfg.Workers,
		JobTimeout: cfg.JobTimeout, ReclaimRunningJobs: s.db.Backend() == "sqlite", Logger: logger})
	if err != nil {
		return nil, err
	}
	s.queue = q

	s.sessions = auth.NewManager(auth.Options{
		Store:        s.db,
		SecureCookie: strings.HasPrefix(cfg.PublicURL, "https://"),
		Logger:       logger,
	})
	s.sso, err = newSSO(cfg, out.HTTPClient(), s.sessions, s.db, logger)
	if err != nil {
		return nil, err
	}

	return httpapi.New(httpapi.Options{
		Store:                 s.db,
		Tester:                up,
		Items:                 engine,
		ForgetCredentialsFunc: creds.Forget,
		ValidateAuthFunc:      credential.Validate,
		WarningsFunc:          credential.Warnings,
		ValidateItemFunc:      item.Validate,
		ValidateRuleFunc:      rule.Validate,
		Queue:                 q,
		Simulator:             processor,
		Metrics:               metrics.Handler(metrics.Options{Datasources: s.db, Logger: logger}),
		PublicURL:             cfg.PublicURL,
		AdminTokenHash:        adminHash,
		Sessions:              s.sessions,
		Tokens:                s.db,
		Audit:                 s.db,
		Readiness:             s.readiness(),
		Logger:                logger,
	}), nil
}

// adminTokenHash returns the hash of the admin token: of the configured one,
// or of the one stored on an earlier start, or of a new one it generates and
// returns so the caller can show it once.
func adminTokenHash(ctx context.Context, db *store.DB, configured string) ([sha256.Size]byte, string, error) {
	if configured != "" {
		return sha256.Sum256([]byte(configured)), "", nil
	}

	var hash [sha256.Size]byte
	stored, ok, err := db.GetSetting(ctx, adminTokenSetting)
	if err != nil {
		return hash, "", fmt.Errorf("read admin token hash: %w", err)
	}
	if ok {
		raw, err := hex.DecodeString(stored)
		if err != nil || len(raw) != sha256.Size {
			return hash, "", fmt.Errorf("stored admin token hash is corrupt: set FIELDLINK_ADMIN_TOKEN to replace it")
		}
		copy(hash[:], raw)
		return hash, "", nil
	}

	buf := make([]byte, 32)
	_, _ = rand.Read(buf) // Since Go 1.24, crypto/rand.Read never returns an error.
	token := "fl_" + base64.RawURLEncoding.EncodeToString(buf)
	hash = sha256.Sum256([]byte(token))
	stored, added, err := db.AddSetting(ctx, adminTokenSetting, hex.EncodeToString(hash[:]))
	if err != nil {
		return hash, "", fmt.Errorf("store admin token hash: %w", err)
	}
	if !added {
		// Another replica starting at the same moment stored its token first.
		return adminTokenHash(ctx, db, "")
	}
	return hash, token, nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	return "http://" + s.listener.Addr().String()
}

// Shutdown stops accepting requests, lets running events finish within ctx,
// and closes the database.
func (s *Server) Shutdown(ctx context.Context) error {
	s.queueRunning.Store(false)
	s.stopBackground()
	httpErr := s.http.Shutdown(ctx)
	queueErr := s.queue.Stop(ctx)
	dbErr := s.db.Close()
	s.logger.Info("fieldlink stopped")
	return errors.Join(httpErr, queueErr, dbErr)
}

// Done returns a channel that receives the serve loop's error when it ends.
func (s *Server) Done() <-chan error { return s.done }

// Routes returns every ServeMux pattern the server serves, such as
// "GET /api/v1/items/{id}" or "GET /settings": the API's, the single
// sign-on routes when single sign-on is on, and the admin pages'.
func (s *Server) Routes() []string {
	return slices.Clone(s.routes)
}

// requireSharedKey refuses to start on PostgreSQL without a master key
// given: a key file made up by this replica alone would seal secrets that
// the other replicas cannot open, and be lost with its data folder.
func requireSharedKey(cfg Config, keyFile string) error {
	if cfg.MasterKey != "" || !store.IsPostgresURL(cfg.Database) {
		return nil
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("no master key for the PostgreSQL database: every replica must use the same key, so set FIELDLINK_MASTER_KEY on each (for the first replica, create one with \"openssl rand -base64 32\" and keep it safe), or put the same master.key in each data folder (%s)", cfg.DataDir)
}

// allowedRanges names the address ranges that the outbound allowances of
// cfg open to datasources.
func allowedRanges(cfg Config) string {
	switch {
	case cfg.AllowLoopback && cfg.AllowPrivate:
		return "addresses on this machine and its private networks"
	case cfg.AllowLoopback:
		return "addresses on this machine (loopback)"
	}
	return "addresses on private networks"
}

// validatePublicURL rejects a public URL that would give Jira broken or
// credential-bearing hook URLs. An empty one is allowed: hook URLs then use
// the address of the request that reads them.
func validatePublicURL(raw string) error {
	if raw == "" {
		return nil
	}

	const example = "give the address Jira reaches fieldlink at, such as https://fieldlink.example.com"
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid --public-url %q: %v: %s", raw, errors.Unwrap(err), example)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("invalid --public-url %q: it must start with https:// (or http://): %s", u.Redacted(), example)
	case u.Host == "":
		return fmt.Errorf("invalid --public-url %q: it has no host name: %s", u.Redacted(), example)
	case u.User != nil:
		return fmt.Errorf("invalid --public-url %q: it must not contain a user name or password, which would end up in every hook URL: %s", u.Redacted(), example)
	case strings.ContainsAny(raw, "?#"):
		return fmt.Errorf("invalid --public-url %q: it must not have a query or fragment, since hook paths are appended to it: %s", u.Redacted(), example)
	}
	return nil
}

// createPrivateFile creates an empty file readable by its owner only, unless
// it exists, so SQLite (and its WAL and shared-memory files, which take the
// database file's permissions) never exposes sealed or unsealed data to other
// users.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file %s: %w", path, err)
	}
	return f.Close()
}

// checkMasterKey makes sure the master key opens this database's secrets.
// The first start seals a check value. A later start with a different key
// then fails here with a clear error, not on the first secret it reads.
func checkMasterKey(ctx context.Context, db *store.DB, sealer *seal.Sealer) error {
	associated := []byte("setting:" + keyCheckSetting)
	stored, ok, err := db.GetSetting(ctx, keyCheckSetting)
	if err != nil {
		return fmt.Errorf("read master key check: %w", err)
	}

	if !ok {
		sealed, err := sealer.Seal([]byte("fieldlink"), associated)
		if err != nil {
			return fmt.Errorf("seal master key check: %w", err)
		}
		stored, ok, err = db.AddSetting(ctx, keyCheckSetting, base64.StdEncoding.EncodeToString(sealed))
		if err != nil || ok {
			return err
		}
		// Another replica starting at the same moment stored its check
		// first: this key must open it too.
	}

	raw, err := base64.StdEncoding.DecodeString(stored)
	if err == nil {
		_, err = sealer.Open(raw, associated)
	}
	if err != nil && db.Backend() == "postgres" {
		return fmt.Errorf("the master key ring (key IDs %s) does not open the secrets in %s: every replica must use the same master key, so set FIELDLINK_MASTER_KEY to the key the first replica used, or copy its master.key into this replica's data folder (%w)",
			strings.Join(sealer.KeyIDs(), ", "), db.Name(), err)
	}
	if err != nil {
		return fmt.Errorf("the master key ring (key IDs %s) does not open this database's secrets: start with the FIELDLINK_MASTER_KEY or master.key this data folder was created with or, after a key rotation, with the new key first and the old keys after it (%w)",
			strings.Join(sealer.KeyIDs(), ", "), err)
	}
	return nil
}

// Sessions returns the sign-in session manager, which finds the admin
// signed in with a request's cookie.
func (s *Server) Sessions() *auth.Manager {
	return s.sessions
}

// signedIn reports whether the request carries a valid session cookie.
func (s *Server) signedIn(r *http.Request) bool {
	_, ok := s.sessions.UserFromRequest(r)
	return ok
}
