package config

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

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

	items, err := stores.Items.ListItems(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("export items: %w", err)
	}
	for _, it := range items {
		doc.Items = append(doc.Items, newItemRecord(it))
	}

	rules, err := stores.Rules.ListRules(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("export rules: %w", err)
	}
	for _, r := range rules {
		doc.Rules = append(doc.Rules, newRuleRecord(r))
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
