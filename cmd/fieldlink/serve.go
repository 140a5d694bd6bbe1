package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/fieldlink/fieldlink/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("FIELDLINK_LISTEN", "127.0.0.1:8080"), "address to serve on (env FIELDLINK_LISTEN)")
	data := fs.String("data", envOr("FIELDLINK_DATA", defaultDataDir()), "data folder holding the database and the master key file (env FIELDLINK_DATA)")
	allowLoopback := fs.Bool("allow-loopback", false, "let datasources reach 127.0.0.0/8 and ::1 (off by default)")
	allowPrivate := fs.Bool("allow-private-networks", false, "let datasources reach private network ranges such as 10.0.0.0/8 (off by default)")
	publicURL := fs.String("public-url", envOr("FIELDLINK_PUBLIC_URL", ""), "address Jira reaches fieldlink at, used in hook URLs, e.g. https://fieldlink.example.com (env FIELDLINK_PUBLIC_URL)")
	logLevel := fs.String("log-level", envOr("FIELDLINK_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env FIELDLINK_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: fieldlink serve [flags]

Runs fieldlink on the embedded SQLite database in the data folder.
Environment:
  FIELDLINK_MASTER_KEY   base64 of 32 bytes, or several separated by commas, newest first, during a
                         key rotation (default: master.key in the data folder, created on first start)
  FIELDLINK_ADMIN_TOKEN  bearer token for the admin API, at least 16 characters (default: generated
                         on first start and shown once)

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

	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	srv, err := server.Start(ctx, server.Config{
		Listen:        *listen,
		DataDir:       *data,
		MasterKey:     os.Getenv("FIELDLINK_MASTER_KEY"),
		AdminToken:    os.Getenv("FIELDLINK_ADMIN_TOKEN"),
		AllowLoopback: *allowLoopback,
		AllowPrivate:  *allowPrivate,
		PublicURL:     *publicURL,
		Logger:        logger,
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
