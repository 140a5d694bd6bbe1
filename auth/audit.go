package auth

import (
	"context"
	"time"
)

// ActorAdminToken is the actor of audit entries for requests made with the
// admin token rather than by a named admin or API token.
const ActorAdminToken = "admin-token"

// AuditEntry is one configuration change: who made it, what and when. It
// never contains a secret.
type AuditEntry struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// Action is the kind of change as a code, such as "datasource.update".
	Action string `json:"action"`
	// Target is the ID or name of the changed record, empty when unknown.
	Target string `json:"target,omitempty"`
	// Detail describes the change in words. It names the record and each
	// secret that was set, rotated or removed, as in "rotated the client
	// secret of datasource "Microsoft Graph"", but never a secret's value.
	// Entries recorded before details existed have none.
	Detail string `json:"detail,omitempty"`
}

// AuditLog stores and lists audit entries.
type AuditLog interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns up to limit entries, newest first.
	ListAudit(ctx context.Context, limit int) ([]AuditEntry, error)
}
