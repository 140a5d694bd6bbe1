package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/fieldlink/fieldlink/auth"
)

// tokenUsage is the help text of "fieldlink token".
const tokenUsage = `Usage: fieldlink token COMMAND [flags] [NAME]

Manages API tokens through the REST API of a running server. A token is
shown once, when it is created; the server stores only its SHA-256.

Commands:
  create --name NAME [--scope read-only|admin]   create a token and print it
  list                                            list tokens, their scopes and last use
  revoke NAME                                     revoke a token by name or ID

A read-only token may send GET and HEAD requests to /api/v1 and /metrics;
an admin token may do everything the admin token does.

Flags:
`

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tokenUsage)
		fs, _, _, _ := newTokenFlags("token", stderr)
		fs.PrintDefaults()
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}

	fs, api, name, scope := newTokenFlags(args[0], stderr)
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	client, err := api.client()
	if err != nil {
		return err
	}

	switch args[0] {
	case "create":
		if len(positional) > 0 {
			return fmt.Errorf("token create takes no arguments, got %q: give the name with --name", positional)
		}
		if *name == "" {
			return fmt.Errorf("token create needs a name: give --name, for example --name monitoring")
		}
		created, err := client.CreateToken(ctx, *name, *scope)
		if err != nil {
			return api.explain(err)
		}
		fmt.Fprintf(stdout, "Created %s token %s. It is shown only now, so store it safely:\n%s\n", created.Scope, created.Name, created.Secret)
		return nil

	case "list":
		tokens, err := client.ListTokens(ctx)
		if err != nil {
			return api.explain(err)
		}
		if len(tokens) == 0 {
			fmt.Fprintln(stdout, "No API tokens: create one with \"fieldlink token create --name NAME\".")
			return nil
		}
		for _, t := range tokens {
			fmt.Fprintf(stdout, "%s\t%s\t%s\tcreated %s by %s\tlast used %s\n", t.ID, t.Name, t.Scope,
				t.CreatedAt.Format(time.DateTime), t.CreatedBy, lastUsed(t))
		}
		return nil

	case "revoke":
		if len(positional) != 1 {
			return fmt.Errorf("token revoke takes one token name or ID, got %q: find it with \"fieldlink token list\"", positional)
		}
		if err := client.RevokeToken(ctx, positional[0]); err != nil {
			return api.explain(err)
		}
		fmt.Fprintf(stdout, "Revoked API token %s.\n", positional[0])
		return nil
	}
	return fmt.Errorf("unknown token command %q: use create, list or revoke (see \"fieldlink token -h\")", args[0])
}

func newTokenFlags(name string, stderr io.Writer) (*flag.FlagSet, *apiFlags, *string, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	tokenName := fs.String("name", "", "create: the token's name, unique, for example the tool that uses it")
	scope := fs.String("scope", auth.ScopeReadOnly, "create: read-only or admin")
	return fs, api, tokenName, scope
}

func lastUsed(t auth.Token) string {
	if t.LastUsedAt.IsZero() {
		return "never"
	}
	return t.LastUsedAt.Format(time.DateTime)
}
