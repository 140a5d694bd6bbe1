package config

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// Export reads every datasource, item, rule and hook from stores, and every
// admin and API token when stores.Accounts is set, into a document with
// plaintext secrets and hashes. Seal them with SealSecrets, or drop them
// with OmitSecrets, before the document leaves the process.
func Export(ctx context.Context, stores Stores) (Document, error) {
	doc := Document{
		Format:     FormatVersion,
		ID:         newDocumentID(),
		ExportedAt: time.Now().UTC(),
		Secrets:    SecretsPlaintext,
	}

	datasources, err := stores.Datasources.ListDatasources(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("export datasources: %w", err)
	}
	for _, ds := range datasources {
		doc.Datasources = append(doc.Datasources, newDatasourceRecord(ds))
	}

	if doc.Items, err = stores.Items.ListItems(ctx); err != nil {
		return Document{}, fmt.Errorf("export items: %w", err)
	}
	if doc.Rules, err = stores.Rules.ListRules(ctx); err != nil {
		return Document{}, fmt.Errorf("export rules: %w", err)
	}

	hooks, err := stores.Hooks.ListHooks(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("export hooks: %w", err)
	}
	for _, h := range hooks {
		doc.Hooks = append(doc.Hooks, newHookRecord(h))
	}

	if stores.Accounts == nil {
		return doc, nil
	}
	if doc.Admins, err = exportAdmins(ctx, stores.Accounts); err != nil {
		return Document{}, err
	}
	tokens, err := stores.Accounts.ListTokens(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("export API tokens: %w", err)
	}
	for _, t := range tokens {
		rec := TokenRecord{Token: t, Secrets: map[string]string{tokenSecretName: t.Hash}}
		rec.Hash = ""
		doc.Tokens = append(doc.Tokens, rec)
	}
	return doc, nil
}

// exportAdmins reads every admin with its password hash.
func exportAdmins(ctx context.Context, accounts AccountStore) ([]AdminRecord, error) {
	admins, err := accounts.ListAdmins(ctx)
	if err != nil {
		return nil, fmt.Errorf("export admins: %w", err)
	}

	var records []AdminRecord
	for _, listed := range admins {
		a, err := accounts.GetAdmin(ctx, listed.Username)
		if err != nil {
			return nil, fmt.Errorf("export admin %q: %w", listed.Username, err)
		}
		records = append(records, AdminRecord{
			Username:  a.Username,
			CreatedAt: a.CreatedAt,
			UpdatedAt: a.UpdatedAt,
			Secrets:   map[string]string{adminSecretName: a.PasswordHash},
		})
	}
	return records, nil
}

// newDatasourceRecord moves the datasource's secrets from Auth to Secrets
// and drops its health, which describes the old installation.
func newDatasourceRecord(ds fieldlink.Datasource) DatasourceRecord {
	rec := DatasourceRecord{Datasource: ds}
	rec.Health = fieldlink.DatasourceHealth{}
	for name, field := range rec.Auth.SecretFields() {
		if *field != "" {
			if rec.Secrets == nil {
				rec.Secrets = map[string]string{}
			}
			rec.Secrets[name] = *field
		}
		*field = ""
	}
	return rec
}

// newHookRecord moves the hook's secret from Secret to Secrets.
func newHookRecord(h fieldlink.Hook) HookRecord {
	rec := HookRecord{Hook: h}
	if h.Secret != "" {
		rec.Secrets = map[string]string{hookSecretName: h.Secret}
	}
	rec.Secret = ""
	return rec
}

// datasource returns the record as a datasource with its secrets in Auth.
// The secrets must be open.
func (rec DatasourceRecord) datasource() fieldlink.Datasource {
	ds := rec.Datasource
	for name, field := range ds.Auth.SecretFields() {
		*field = rec.Secrets[name]
	}
	return ds
}

// hook returns the record as a hook with its secret in Secret. The secrets
// must be open.
func (rec HookRecord) hook() fieldlink.Hook {
	h := rec.Hook
	h.Secret = rec.Secrets[hookSecretName]
	return h
}

// admin returns the record as an admin with its password hash, which is
// empty when the document carries no secrets. The secrets must be open.
func (rec AdminRecord) admin() auth.Admin {
	return auth.Admin{Username: rec.Username, PasswordHash: rec.Secrets[adminSecretName], CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}
}

// token returns the record as a token with its hash, which is empty when
// the document carries no secrets. The secrets must be open.
func (rec TokenRecord) token() auth.Token {
	t := rec.Token
	t.Hash = rec.Secrets[tokenSecretName]
	return t
}

func newDocumentID() string {
	random := make([]byte, 16)
	rand.Read(random)
	return hex.EncodeToString(random)
}
