// Command fieldlink runs the fieldlink server, or a self-contained demo of
// its main job against built-in emulators.
//
// Usage:
//
//	fieldlink serve [flags]   run the server for real use
//	fieldlink demo [--once]   run the end-to-end demo on loopback
//	fieldlink datasource ...  manage datasources through the REST API
//	fieldlink rule ...        list, create, delete or simulate routing rules
//	fieldlink event ...       list, show or replay ticket events
//	fieldlink doctor          report expiring secrets and unhealthy datasources
//	fieldlink keys ...        show or rotate the master keys
//	fieldlink admin ...       manage the admins who sign in
//	fieldlink token ...       manage API tokens through the REST API
//	fieldlink migrate         apply or show the database migrations
//	fieldlink export|import   move an installation between databases
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
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// versionString returns version, and for a "dev" build the commit that
// go build recorded from the Git checkout, such as "dev (commit 1a2b3c4d5e6f,
// modified)", so that a problem report names the code it ran.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return describeVersion(version, info)
}

// describeVersion adds the commit recorded in info to a "dev" version.
// go build records it unless -buildvcs=false is set, or the source is not a
// Git checkout.
func describeVersion(version string, info *debug.BuildInfo) string {
	if version != "dev" || info == nil {
		return version
	}

	var revision, modified string
	for _, setting := range info.Settings {
		switch setting.Key {
		case "vcs.revision":
			revision = setting.Value
		case "vcs.modified":
			modified = setting.Value
		}
	}
	if revision == "" {
		return version
	}

	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		return fmt.Sprintf("%s (commit %s, modified)", version, revision)
	}
	return fmt.Sprintf("%s (commit %s)", version, revision)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()

	os.Exit(exitCode(err, os.Stderr))
}

// errUsage reports a command line that could not be used. The problem and
// the usage have been printed already, so main prints nothing more.
var errUsage = errors.New("invalid command line")

// usageErrorf prints a command-line problem and returns errUsage, so the
// command exits with status 2 like a flag error.
func usageErrorf(stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "fieldlink: "+format+"\n", args...)
	return errUsage
}

// parseFlags parses args into fs. A flag error has been printed with the
// usage by package flag, so it becomes errUsage; -h stays flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return errUsage
	}
	return err
}

// exitCode returns the process exit status for err, printing err when it
// has not been printed: 0 for success and for help that was asked for, 2 for
// a command line that could not be used, 1 for a failure.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "fieldlink:", err)
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}

	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "datasource":
		return runDatasource(ctx, args[1:], stdout, stderr)
	case "event":
		return runEvent(ctx, args[1:], stdout, stderr)
	case "rule":
		return runRule(ctx, args[1:], stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "fieldlink", versionString())
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return usageErrorf(stderr, "unknown command %q: use one of the commands listed above", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `fieldlink connects REST APIs such as Microsoft Graph to Jira Cloud tickets.

Commands:
  serve       run the server (see "fieldlink serve -h")
  demo        run the end-to-end demo against built-in emulators (see "fieldlink demo -h")
  datasource  create, list, show, update, delete or test datasources (see "fieldlink datasource -h")
  rule        list, create, delete or simulate routing rules (see "fieldlink rule -h")
  event       list, show or replay ticket events (see "fieldlink event -h")
  doctor      report expiring secrets and certificates, unhealthy datasources and warnings
  keys        show or rotate the master keys that seal stored secrets (see "fieldlink keys -h")
  admin       create, list or delete admins who sign in, or set a password (see "fieldlink admin -h")
  token       create, list or revoke API tokens (see "fieldlink token -h")
  migrate     apply the database migrations, or show them with --status (see "fieldlink migrate -h")
  export      write the configuration, admins and API tokens to a JSON file (see "fieldlink export -h")
  import      load a file written by export into a database, keeping every ID (see "fieldlink import -h")
  version     print the version

admin, keys, migrate, export and import work on the database without a
server: the SQLite file in --data, or --database (env FIELDLINK_DATABASE),
a postgres:// URL, as for serve.
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

// subcommand is one command of a command group such as "fieldlink rule".
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// runGroup runs the subcommand that args name, printing usage for help, for
// no subcommand (errUsage) and for an unknown one.
func runGroup(ctx context.Context, group, usage string, commands []subcommand, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}

	names := make([]string, 0, len(commands))
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
		names = append(names, c.name)
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}

	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown %s command %q: use %s or %s", group, args[0], strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}
