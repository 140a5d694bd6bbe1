package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/config"
	"github.com/fieldlink/fieldlink/store"
)

// cliActor returns the audit actor of the commands that change the database
// directly: "cli:" and the name of the operating system user running them,
// or "cli:unknown" when the system names none.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	for _, name := range []string{"USER", "USERNAME"} {
		if value := os.Getenv(name); value != "" {
			return "cli:" + value
		}
	}
	return "cli:unknown"
}

// recordCLIAudit appends an entry by cliActor to the database's audit log,
// so the admin pages and GET /api/v1/audit show changes made without the
// API. The change is made already when it runs, so a failure is printed to
// w as a warning rather than returned. detail never contains a secret.
func recordCLIAudit(ctx context.Context, db *store.DB, w io.Writer, action, target, detail string) {
	e := auth.AuditEntry{Actor: cliActor(), Action: action, Target: target, Detail: detail}
	if err := db.RecordAudit(ctx, e); err != nil {
		fmt.Fprintf(w, "Warning: the change was made, but it could not be written to the audit log: %v\n", err)
	}
}

// importDetail describes an import for the audit log: what it wrote, from
// which file, and how many of the target's records it replaced or deleted.
func importDetail(file string, s config.Summary) string {
	detail := fmt.Sprintf("imported %d datasources, %d items, %d rules, %d hooks, %d admins and %d API tokens from %s",
		s.Datasources, s.Items, s.Rules, s.Hooks, s.Admins, s.Tokens, file)
	if len(s.Replaced) > 0 {
		detail += fmt.Sprintf(", replacing or deleting %d records of the target", len(s.Replaced))
	}
	if s.SecretsOmitted {
		detail += ", without secrets"
	}
	return detail
}
