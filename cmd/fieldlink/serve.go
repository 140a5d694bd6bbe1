package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("FIELDLINK_LISTEN", "127.0.0.1:8080"), "address to serve on (env FIELDLINK_LISTEN)")
	data := fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder holding the database and the master key file (env FIELDLINK_DATA)")
	database := fs.String("database", envOr("FIELDLINK_DATABASE", ""), "postgres:// URL of a PostgreSQL database that replicas share, or the path of an SQLite file; empty for fieldlink.db in the data folder (env FIELDLINK_DATABASE)")
	jobTimeoutText := fs.String("job-timeout", envOr("FIELDLINK_JOB_TIMEOUT", "1m"), "longest time one ticket event may take; on PostgreSQL, an event left by a stopped replica is taken up by another between twice this and twice this plus 40s (env FIELDLINK_JOB_TIMEOUT)")
	workersText := fs.String("workers", envOr("FIELDLINK_WORKERS", "0"), "ticket events processed at once by this process; 0 means 16 on SQLite and 64 on PostgreSQL (env FIELDLINK_WORKERS)")
	allowLoopback := fs.Bool("allow-loopback", false, "let datasources reach 127.0.0.0/8 and ::1 (off by default)")
	allowPrivate := fs.Bool("allow-private-networks", false, "let datasources reach private network ranges such as 10.0.0.0/8 (off by default)")
	publicURL := fs.String("public-url", envOr("FIELDLINK_PUBLIC_URL", ""), "address Jira reaches fieldlink at, used in hook URLs, e.g. https://fieldlink.example.com (env FIELDLINK_PUBLIC_URL)")
	oidcIssuer := fs.String("oidc-issuer", envOr("FIELDLINK_OIDC_ISSUER", ""), "OpenID Connect issuer URL that turns on single sign-on, which also needs --public-url (env FIELDLINK_OIDC_ISSUER)")
	oidcClientID := fs.String("oidc-client-id", envOr("FIELDLINK_OIDC_CLIENT_ID", ""), "client ID registered at the OpenID Connect provider (env FIELDLINK_OIDC_CLIENT_ID)")
	oidcAllowedEmails := fs.String("oidc-allowed-emails", envOr("FIELDLINK_OIDC_ALLOWED_EMAILS", ""), "comma-separated emails or @domain entries that may sign in by single sign-on (env FIELDLINK_OIDC_ALLOWED_EMAILS)")
	oidcAdminGroup := fs.String("oidc-admin-group", envOr("FIELDLINK_OIDC_ADMIN_GROUP", ""), "value the ID token's groups claim must contain to sign in; empty checks no group (env FIELDLINK_OIDC_ADMIN_GROUP)")
	oidcDisplayName := fs.String("oidc-display-name", envOr("FIELDLINK_OIDC_DISPLAY_NAME", ""), "provider name on the login page's button (default \"single sign-on\", env FIELDLINK_OIDC_DISPLAY_NAME)")
	logLevel := fs.String("log-level", envOr("FIELDLINK_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env FIELDLINK_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: fieldlink serve [flags]

Runs fieldlink on the embedded SQLite database in the data folder, or with
--database on PostgreSQL, where several replicas can share one database.
Environment:
  FIELDLINK_MASTER_KEY   base64 of 32 bytes, or several separated by commas, newest first, during a
                         key rotation (default: master.key in the data folder, created on first start)
  FIELDLINK_ADMIN_TOKEN  bearer token for the admin API, at least 16 characters (default: generated
                         on first start and shown once)
  FIELDLINK_OIDC_CLIENT_SECRET
                         client secret registered at the OpenID Connect provider, for single sign-on

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}

	workers, err := strconv.Atoi(*workersText)
	if err != nil || workers < 0 || workers > 1000 {
		return fmt.Errorf("--workers (env FIELDLINK_WORKERS) is %q: give a number from 1 to 1000, or 0 for the default", *workersText)
	}

	jobTimeout, err := time.ParseDuration(*jobTimeoutText)
	if err != nil || jobTimeout < time.Second {
		return fmt.Errorf("--job-timeout (env FIELDLINK_JOB_TIMEOUT) is %q: give a duration of at least 1s, such as 90s or 2m", *jobTimeoutText)
	}

	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	srv, err := server.Start(ctx, server.Config{
		Listen:        *listen,
		DataDir:       *data,
		Database:      *database,
		JobTimeout:    jobTimeout,
		Workers:       workers,
		MasterKey:     os.Getenv("FIELDLINK_MASTER_KEY"),
		AdminToken:    os.Getenv("FIELDLINK_ADMIN_TOKEN"),
		AllowLoopback: *allowLoopback,
		AllowPrivate:  *allowPrivate,
		PublicURL:     *publicURL,
		OIDC: server.OIDCConfig{
			Issuer:        *oidcIssuer,
			ClientID:      *oidcClientID,
			ClientSecret:  os.Getenv("FIELDLINK_OIDC_CLIENT_SECRET"),
			AllowedEmails: splitList(*oidcAllowedEmails),
			AdminGroup:    *oidcAdminGroup,
			DisplayName:   *oidcDisplayName,
		},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	if srv.GeneratedAdminToken != "" {
		// Printed to the terminal, never logged: only its hash is stored.
		fmt.Fprintf(stdout, "Admin token (shown once, store it safely): %s\n", srv.GeneratedAdminToken)
	}
	fmt.Fprintf(stdout, "fieldlink is serving on %s\n", srv.URL())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-srv.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// splitList returns the non-empty, trimmed entries of a comma-separated
// list.
func splitList(list string) []string {
	var entries []string
	for _, entry := range strings.Split(list, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			entries = append(entries, entry)
		}
	}
	return entries
}

// defaultDataDir returns fieldlink's folder under the user's data directory:
// $XDG_DATA_HOME or ~/.local/share on Linux, Application Support on macOS,
// %LocalAppData% on Windows.
func defaultDataDir() string {
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		if dir := os.Getenv("LocalAppData"); dir != "" {
			return filepath.Join(dir, "fieldlink")
		}
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "fieldlink")
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "fieldlink")
	}
	return filepath.Join(home, ".local", "share", "fieldlink")
}
