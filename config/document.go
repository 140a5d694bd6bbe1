// Package config exports fieldlink's configuration (datasources, items,
// rules and hooks) to a versioned JSON document and imports it again. It
// works through the store interfaces of package fieldlink, so every store
// implementation can use it.
package config

import (
	"time"

	"github.com/fieldlink/fieldlink"
)

// FormatVersion is the format version that this package writes and the
// newest that it reads.
const FormatVersion = 1

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

// hookSecretName is the key of Hook.Secret in HookRecord.Secrets.
const hookSecretName = "secret"

// Stores are the stores that hold the configuration.
type Stores struct {
	Datasources fieldlink.DatasourceStore
	Items       fieldlink.ItemStore
	Rules       fieldlink.RuleStore
	Hooks       fieldlink.HookStore
}
