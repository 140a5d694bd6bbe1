package auth

import (
	"context"
	"time"
)

// Actor names used in audit entries for requests not made by a named admin
// or token.
const ActorAdminToken = "admin-token"

// AuditEntry is one configuration change: who made it, what and when. It
// never contains a secret.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// Target is the ID or name of the changed record, empty when unknown.
	Target string `json:"target,omitempty"`
}

// AuditLog stores and lists audit entries.
type AuditLog interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns up to limit entries, newest first.
	ListAudit(ctx context.Context, limit int) ([]AuditEntry, error)
}
