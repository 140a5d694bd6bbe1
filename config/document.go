// Package config exports fieldlink's configuration (datasources, items,
// rules and hooks) with its admins and API tokens to a versioned JSON
// document, and imports it again with every record ID kept. It reads
// through the store interfaces of package fieldlink and writes through
// Target, so every store implementation can use it.
package config

import (
	"context"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// FormatVersion is the format version that this package writes and the
// newest that it reads. Version 2 added admins and API tokens, which a
// reader of version 1 would drop without a word.
const FormatVersion = 2

// SecretMode names how a document carries the secrets of its records.
type SecretMode string

// Secret modes.
const (
	// SecretsPlaintext carries secrets in clear text in Secrets.
	SecretsPlaintext SecretMode = "plaintext"
	// SecretsSealed carries secrets sealed with a transport key in
	// SealedSecrets.
	SecretsSealed SecretMode = "sealed"
	// SecretsOmitted carries no secret.
	SecretsOmitted SecretMode = "omitted"
)

// Document is an exported configuration. Its JSON field names are the Go
// field names of the domain types, so a field added to a domain type is
// exported too.
type Document struct {
	// Format is the format version, FormatVersion when written.
	Format int `json:"format"`

	// ID is a random identifier bound into every sealed secret, so a sealed
	// value cannot be moved to another document.
	ID string `json:"id"`

	ExportedAt time.Time  `json:"exportedAt"`
	Secrets    SecretMode `json:"secrets"`

	// TransportKeyID identifies the transport key that sealed the secrets
	// when Secrets is SecretsSealed. The ID does not reveal the key.
	TransportKeyID string `json:"transportKeyId,omitempty"`

	Datasources []DatasourceRecord `json:"datasources"`
	Items       []fieldlink.Item   `json:"items"`
	Rules       []fieldlink.Rule   `json:"rules"`
	Hooks       []HookRecord       `json:"hooks"`

	// Admins and Tokens are absent from documents of format version 1.
	Admins []AdminRecord `json:"admins,omitempty"`
	Tokens []TokenRecord `json:"tokens,omitempty"`
}

// DatasourceRecord is an exported datasource. The secret fields of its Auth
// are always empty: the secrets are in Secrets (by API field name, as
// fieldlink.Auth.SecretFields names them) or SealedSecrets.
type DatasourceRecord struct {
	fieldlink.Datasource

	Secrets       map[string]string `json:"secrets,omitempty"`
	SealedSecrets []byte            `json:"sealedSecrets,omitempty"`
}

// HookRecord is an exported hook. Its Secret field is always empty: the
// secret is in Secrets under "secret", or in SealedSecrets.
type HookRecord struct {
	fieldlink.Hook

	Secrets       map[string]string `json:"secrets,omitempty"`
	SealedSecrets []byte            `json:"sealedSecrets,omitempty"`
}

// AdminRecord is an exported admin account. Its password hash is in
// Secrets under "passwordHash", or in SealedSecrets: an Argon2id hash can
// be attacked offline, so it travels like a secret.
type AdminRecord struct {
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`

	Secrets       map[string]string `json:"secrets,omitempty"`
	SealedSecrets []byte            `json:"sealedSecrets,omitempty"`
}

// TokenRecord is an exported API token. Its SHA-256 hash is in Secrets
// under "hash", or in SealedSecrets, like every other credential.
type TokenRecord struct {
	auth.Token

	Secrets       map[string]string `json:"secrets,omitempty"`
	SealedSecrets []byte            `json:"sealedSecrets,omitempty"`
}

// Keys of the secrets maps of hooks, admins and tokens.
const (
	hookSecretName  = "secret"
	adminSecretName = "passwordHash"
	tokenSecretName = "hash"
)

// Stores are the stores that Export reads.
type Stores struct {
	Datasources fieldlink.DatasourceStore
	Items       fieldlink.ItemStore
	Rules       fieldlink.RuleStore
	Hooks       fieldlink.HookStore

	// Accounts holds the admins and API tokens. Nil exports none.
	Accounts AccountStore
}

// AccountStore reads the admin accounts and API tokens.
type AccountStore interface {
	// ListAdmins returns every admin; the password hashes may be empty.
	ListAdmins(ctx context.Context) ([]auth.Admin, error)
	// GetAdmin returns the admin with its password hash.
	GetAdmin(ctx context.Context, username string) (auth.Admin, error)
	// ListTokens returns every API token with its hash.
	ListTokens(ctx context.Context) ([]auth.Token, error)
}

// Records are the input of Target.ImportRecords: every record with the ID
// it had in the installation it comes from, secrets in clear text, admins
// with their password hashes and tokens with their hashes.
type Records struct {
	Datasources []fieldlink.Datasource
	Items       []fieldlink.Item
	Rules       []fieldlink.Rule
	Hooks       []fieldlink.Hook
	Admins      []auth.Admin
	Tokens      []auth.Token
}

// Target is the database that Plan.Write writes to.
type Target interface {
	// ImportRecords writes records in one transaction, keeping their IDs,
	// and seals the secrets under the target's master key. Unless replace
	// is set it fails, writing nothing, when the target holds any
	// datasource, item, rule or hook, or an admin or API token with a
	// username, ID, name or hash of the records'. With replace it deletes
	// those in the same transaction and returns how many it deleted.
	ImportRecords(ctx context.Context, records Records, replace bool) (replaced int, err error)
}
