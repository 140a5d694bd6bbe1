package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

// adminUsage is the help text of "fieldlink admin".
const adminUsage = `Usage: fieldlink admin COMMAND [flags] [NAME]

Manages the local admin accounts that sign in to fieldlink's pages and to
POST /api/v1/session. It works on the database directly, like "fieldlink
keys", so it needs no running server and no token: the data folder's
SQLite file, or with --database (env FIELDLINK_DATABASE) that database, as
for serve.

Commands:
  create --username NAME   create an admin; the password is read from stdin
  list                     list the admins
  delete NAME              delete an admin and end its sessions
  password NAME            set an admin's password and end its sessions

Passwords are read from standard input, one line, or asked for when it is a
terminal. They must be at least 12 characters long and are stored as
Argon2id hashes (64 MiB, 3 passes, 4 lanes: the second recommended option
of RFC 9106).

Flags:
`

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, adminUsage)
		newAdminFlags("admin", stderr).PrintDefaults()
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}

	f := newAdminFlags(args[0], stderr)
	positional, err := parseInterspersed(f.FlagSet, args[1:])
	if err != nil {
		return err
	}
	username, err := f.username(positional)
	if err != nil {
		return err
	}

	// admin list prints the database on standard error, so that its
	// standard output contains only the admins.
	source := newKeySource(*f.data, *f.database)
	switch args[0] {
	case "create":
		return withAdminDB(ctx, source, stdout, func(db *store.DB) error { return adminCreate(ctx, db, username, stdout, stderr) })
	case "list":
		return withAdminDB(ctx, source, stderr, func(db *store.DB) error { return adminList(ctx, db, stdout) })
	case "delete":
		return withAdminDB(ctx, source, stdout, func(db *store.DB) error { return adminDelete(ctx, db, username, stdout) })
	case "password":
		return withAdminDB(ctx, source, stdout, func(db *store.DB) error { return adminPassword(ctx, db, username, stdout, stderr) })
	}
	return fmt.Errorf("unknown admin command %q: use create, list, delete or password (see \"fieldlink admin -h\")", args[0])
}

// adminFlags are the flags of the admin commands.
type adminFlags struct {
	*flag.FlagSet
	data     *string
	database *string
	name     *string
}

func newAdminFlags(name string, stderr io.Writer) adminFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := adminFlags{FlagSet: fs}
	f.data, f.database = addDataFlags(fs)
	f.name = fs.String("username", "", "the admin's username (or give it as the argument)")
	return f
}

// username returns the admin named by --username or the one argument.
func (f adminFlags) username(positional []string) (string, error) {
	if f.Name() == "list" {
		if len(positional) > 0 || *f.name != "" {
			return "", fmt.Errorf("admin list takes no username, got %q", append(positional, *f.name))
		}
		return "", nil
	}

	name := *f.name
	switch {
	case len(positional) > 1, len(positional) == 1 && name != "" && positional[0] != name:
		return "", fmt.Errorf("admin %s takes one username, got %q", f.Name(), append(positional, name))
	case len(positional) == 1:
		name = positional[0]
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("admin %s needs a username: give --username NAME", f.Name())
	}
	return name, nil
}

// withAdminDB opens the source's database with its master keys, prints
// which database it opened on w, runs fn and closes it.
func withAdminDB(ctx context.Context, source keySource, w io.Writer, fn func(*store.DB) error) error {
	keys, err := source.keys()
	if err != nil {
		return err
	}
	sealer, err := seal.New(keys...)
	if err != nil {
		return err
	}
	db, err := source.openDB(ctx, sealer)
	if err != nil {
		return err
	}
	defer db.Close()

	source.printDatabase(w)
	return fn(db)
}

func adminCreate(ctx context.Context, db *store.DB, username string, stdout, stderr io.Writer) error {
	hash, err := readNewPassword(stderr)
	if err != nil {
		return err
	}
	if err := db.CreateAdmin(ctx, username, hash); err != nil {
		return err
	}
	recordCLIAudit(ctx, db, stderr, "admin.create", username, fmt.Sprintf("created admin %q", username))
	fmt.Fprintf(stdout, "Created admin %s, who can sign in now.\n", username)
	return nil
}

func adminList(ctx context.Context, db *store.DB, stdout io.Writer) error {
	admins, err := db.ListAdmins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 0 {
		fmt.Fprintln(stdout, "No admins yet: create one with \"fieldlink admin create --username NAME\".")
		return nil
	}
	for _, a := range admins {
		fmt.Fprintf(stdout, "%s\tcreated %s\tpassword set %s\n", a.Username, a.CreatedAt.Format("2006-01-02 15:04"), a.UpdatedAt.Format("2006-01-02 15:04"))
	}
	return nil
}

func adminDelete(ctx context.Context, db *store.DB, username string, stdout io.Writer) error {
	if err := db.DeleteAdmin(ctx, username); err != nil {
		return err
	}
	recordCLIAudit(ctx, db, stdout, "admin.delete", username, fmt.Sprintf("deleted admin %q and ended its sessions", username))
	fmt.Fprintf(stdout, "Deleted admin %s and ended its sessions.\n", username)
	return nil
}

func adminPassword(ctx context.Context, db *store.DB, username string, stdout, stderr io.Writer) error {
	if _, err := db.GetAdmin(ctx, username); err != nil {
		return err
	}
	hash, err := readNewPassword(stderr)
	if err != nil {
		return err
	}
	if err := db.SetAdminPassword(ctx, username, hash); err != nil {
		return err
	}
	recordCLIAudit(ctx, db, stderr, "admin.password", username, fmt.Sprintf("changed the password of admin %q and ended its sessions", username))
	fmt.Fprintf(stdout, "Set the password of %s and ended its sessions.\n", username)
	return nil
}

// readNewPassword reads one line from stdin, checks its length and returns
// its hash. On a terminal it prompts for the password first.
// NOTE: the password is echoed on a terminal, because golang.org/x/term is
// not a dependency; pipe it in to keep it off the screen.
func readNewPassword(stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "Password (at least 12 characters): ")
		}
	}

	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password on stdin: pipe it in, for example printf '%s\\n' \"$PASSWORD\" | fieldlink admin create --username NAME")
	}
	if err := auth.CheckPassword(password); err != nil {
		return "", err
	}
	return auth.HashPassword(password)
}
