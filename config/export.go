package config

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
)

// Export reads every datasource, item, rule and hook from stores into a
// document with plaintext secrets. Seal the secrets with SealSecrets, or drop
// them with OmitSecrets, before the document leaves the process.
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
	return doc, nil
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

func newDocumentID() string {
	random := make([]byte, 16)
	rand.Read(random)
	return hex.EncodeToString(random)
}
