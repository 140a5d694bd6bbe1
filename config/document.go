// Package config exports fieldlink's configuration (datasources, items,
// rules and hooks) with its admins and API tokens to a versioned JSON
// document, and imports it again with every record ID kept. It reads
// through the store interfaces of package fieldlink and writes through
// Target, so every store implementation can use it.
package config

import (
	"context"
	"encoding/json"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// FormatVersion is the format version that this package writes and the
// newest that it reads. Version 2 added admins and API tokens, which a
// reader of version 1 would drop without a word. Version 3 names every field
// as the REST API does (camelCase, such as baseUrl) and leaves out
// datasource health. DecodeDocument still reads versions 1 and 2, whose
// fields carry the Go names of the domain types.
const FormatVersion = 3

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

// Document is an exported configuration. Its JSON field names are those of
// the REST API (docs/openapi.yaml), plus the fields that the API never
// shows, such as the secrets and the hashes of lookup and automation tokens.
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
	Items       []ItemRecord       `json:"items"`
	Rules       []RuleRecord       `json:"rules"`
	Hooks       []HookRecord       `json:"hooks"`

	// Admins and Tokens are absent from documents of format version 1.
	Admins []AdminRecord `json:"admins,omitempty"`
	Tokens []TokenRecord `json:"tokens,omitempty"`
}

// Empty reports whether the document holds no record at all.
func (d *Document) Empty() bool {
	return len(d.Datasources)+len(d.Items)+len(d.Rules)+len(d.Hooks)+len(d.Admins)+len(d.Tokens) == 0
}

// DatasourceRecord is an exported datasource without its health, which
// describes the old installation. Its secrets are in Secrets, keyed by their
// API field names as fieldlink.Auth.SecretFields names them, or sealed in
// SealedSecrets.
type DatasourceRecord struct {
	ID                    string            `json:"id"`
	Name                  string            `json:"name"`
	BaseURL               string            `json:"baseUrl"`
	APIDocumentationURL   string            `json:"apiDocumentationUrl,omitempty"`
	TestPath              string            `json:"testPath,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	TimeoutSeconds        int               `json:"timeoutSeconds,omitempty"`
	ConnectTimeoutSeconds int               `json:"connectTimeoutSeconds,omitempty"`
	CABundle              string            `json:"caBundle,omitempty"`
	AllowLoopback         bool              `json:"allowLoopback,omitempty"`
	AllowPrivateNetworks  bool              `json:"allowPrivateNetworks,omitempty"`
	Auth                  AuthRecord        `json:"auth"`
	CreatedAt             time.Time         `json:"createdAt,omitzero"`
	UpdatedAt             time.Time         `json:"updatedAt,omitzero"`

	Secrets       map[string]string `json:"secrets,omitempty"`
	SealedSecrets []byte            `json:"sealedSecrets,omitempty"`
}

// AuthRecord is the authentication of an exported datasource without its
// secret fields, which travel in the record's Secrets or SealedSecrets.
type AuthRecord struct {
	Mode                 fieldlink.AuthMode `json:"mode"`
	Username             string             `json:"username,omitempty"`
	APIKeyName           string             `json:"apiKeyName,omitempty"`
	APIKeyIn             string             `json:"apiKeyIn,omitempty"`
	TokenURL             string             `json:"tokenUrl,omitempty"`
	ClientID             string             `json:"clientId,omitempty"`
	ClientAuthentication string             `json:"clientAuthentication,omitempty"`
	Scopes               []string           `json:"scopes,omitempty"`
	TokenParams          map[string]string  `json:"tokenParams,omitempty"`
	ClientCertificate    string             `json:"clientCertificate,omitempty"`
	SendX5T              bool               `json:"sendX5t,omitempty"`
	TLSClientCertificate string             `json:"tlsClientCertificate,omitempty"`
	SecretExpiresAt      time.Time          `json:"secretExpiresAt,omitzero"`
}

// ItemRecord is an exported item with the hash of its lookup token.
type ItemRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"`

	// Datasource is the ID of the item's datasource, as in the API.
	Datasource    string             `json:"datasource"`
	Type          fieldlink.ItemType `json:"type"`
	Request       ItemRequestRecord  `json:"request"`
	Root          string             `json:"root,omitempty"`
	Template      string             `json:"template"`
	LabelTemplate string             `json:"labelTemplate,omitempty"`

	// CacheSeconds is always written, because 0 disables caching while the
	// API reads a missing value as 300.
	CacheSeconds int           `json:"cacheSeconds"`
	MaxRows      int           `json:"maxRows,omitempty"`
	Paging       *PagingRecord `json:"paging,omitempty"`

	// LookupTokenHash is the SHA-256 of the item's lookup token, which the
	// API never shows. It cannot be turned back into the token.
	LookupTokenHash string `json:"lookupTokenHash,omitempty"`
}

// ItemRequestRecord is the request template of an exported item.
type ItemRequestRecord struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// PagingRecord is the paging of an exported item.
type PagingRecord struct {
	Mode        fieldlink.PagingMode `json:"mode,omitempty"`
	CursorPath  string               `json:"cursorPath,omitempty"`
	CursorParam string               `json:"cursorParam,omitempty"`
	OffsetParam string               `json:"offsetParam,omitempty"`
	LimitParam  string               `json:"limitParam,omitempty"`
	PageSize    int                  `json:"pageSize,omitempty"`
}

// RuleRecord is an exported routing rule.
type RuleRecord struct {
	ID                  string                     `json:"id"`
	Name                string                     `json:"name"`
	Position            int                        `json:"position"`
	RuleSet             string                     `json:"ruleSet,omitempty"`
	Condition           string                     `json:"condition,omitempty"`
	Fields              map[string]json.RawMessage `json:"fields,omitempty"`
	AddLabels           []string                   `json:"addLabels,omitempty"`
	Comment             string                     `json:"comment,omitempty"`
	CommentInternal     bool                       `json:"commentInternal,omitempty"`
	RequestParticipants []string                   `json:"requestParticipants,omitempty"`
}

// HookRecord is an exported hook with the hash of its automation token. Its
// secret is in Secrets under "secret", or sealed in SealedSecrets.
type HookRecord struct {
	ID   string `json:"id"`
	Name string `json:"name"`

	// JiraDatasource is the ID of the Jira datasource, as in the API.
	JiraDatasource string   `json:"jiraDatasource"`
	ProjectKeys    []string `json:"projectKeys,omitempty"`
	RuleSet        string   `json:"ruleSet,omitempty"`
	MatchAll       bool     `json:"matchAll,omitempty"`
	Events         []string `json:"events,omitempty"`
	EmailFallback  string   `json:"emailFallback,omitempty"`

	// AutomationTokenHash is the SHA-256 of the hook's automation token,
	// which the API never shows. It cannot be turned back into the token.
	AutomationTokenHash string `json:"automationTokenHash,omitempty"`

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
	// those in the same transaction and returns them.
	ImportRecords(ctx context.Context, records Records, replace bool) (replaced []Collision, err error)
}

// Collision is a record of the target that an import collides with, and
// that an import with replace deletes.
type Collision struct {
	// Kind is "datasource", "item", "rule", "hook", "admin" or "API token".
	Kind string
	ID   string
	Name string

	// Reason names what the record shares with the document, such as
	// "same ID", "same name" or "same ID and name", or is "not in the
	// document" for a datasource, item, rule or hook that is in the way
	// only because the target must hold none.
	Reason string
}
