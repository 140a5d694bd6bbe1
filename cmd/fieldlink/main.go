// Command fieldlink runs the fieldlink server, or a self-contained demo of
// its main job against built-in emulators.
//
// Usage:
//
//	fieldlink serve [flags]   run the server for real use
//	fieldlink demo [--once]   run the end-to-end demo on loopback
//	fieldlink datasource ...  manage datasources through the REST API
//	fieldlink doctor          report expiring secrets and unhealthy datasources
//	fieldlink keys ...        show or rotate the master keys
//	fieldlink version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()

	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fieldlink:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return flag.ErrHelp
	}

	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "datasource":
		return runDatasource(ctx, args[1:], stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "fieldlink", version)
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q: use one of the commands listed above", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `fieldlink connects REST APIs such as Microsoft Graph to Jira Cloud tickets.

Commands:
  serve       run the server (see "fieldlink serve -h")
  demo        run the end-to-end demo against built-in emulators (see "fieldlink demo -h")
  datasource  create, list, show, update, delete or test datasources (see "fieldlink datasource -h")
  doctor      report expiring secrets and certificates, unhealthy datasources and warnings
  keys        show or rotate the master keys that seal stored secrets (see "fieldlink keys -h")
  version     print the version
`)
}

// newLogger returns a text logger on w at the named level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q is invalid: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
