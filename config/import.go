package config

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/credential"
)

// Summary counts what an import wrote.
type Summary struct {
	Datasources int
	Items       int
	Rules       int
	Hooks       int
	Admins      int
	Tokens      int

	// Replaced lists the records of the target that Plan.Write deleted,
	// because the import collided with them.
	Replaced []Collision

	// SecretsOmitted reports whether the document carried no secrets, so
	// the admin must enter them again.
	SecretsOmitted bool

	// SkippedAdmins and SkippedTokens count the admins and API tokens left
	// out because the document carries no hash for them, as an export
	// without secrets writes them.
	SkippedAdmins int
	SkippedTokens int
}

// maxIDLength bounds a record ID from a document. The stores' IDs have 19
// characters.
const maxIDLength = 64

// Plan is a checked document with its secrets open, ready to write.
type Plan struct {
	Records Records

	// Summary counts the records that Write writes.
	Summary Summary

	// Warnings name the datasources that the REST API would reject on
	// their next save, with the reason. They are imported as they are, so
	// that a document from an earlier version still moves whole.
	Warnings []string
}

// PlanImport checks the whole document (format version, secrets, IDs,
// references) and opens its secrets with transportKey, which may be nil
// when they are plaintext or omitted. It reads and writes nothing else, so
// a bad document is rejected before the target is touched.
func PlanImport(doc Document, transportKey []byte) (Plan, error) {
	if err := checkFormat(doc.Format); err != nil {
		return Plan{}, err
	}

	// OpenSecrets writes into the record slices, which the caller shares.
	doc.Datasources = slices.Clone(doc.Datasources)
	doc.Hooks = slices.Clone(doc.Hooks)
	doc.Admins = slices.Clone(doc.Admins)
	doc.Tokens = slices.Clone(doc.Tokens)

	omitted := doc.Secrets == SecretsOmitted
	if err := doc.checkSecretPlacement(); err != nil {
		return Plan{}, err
	}
	if err := doc.OpenSecrets(transportKey); err != nil {
		return Plan{}, err
	}
	if err := doc.checkSecretNames(); err != nil {
		return Plan{}, err
	}
	if err := validate(doc); err != nil {
		return Plan{}, err
	}

	records, summary := doc.records()
	summary.SecretsOmitted = omitted
	return Plan{Records: records, Summary: summary, Warnings: datasourceWarnings(records.Datasources, omitted)}, nil
}

// datasourceWarnings checks each datasource as the REST API checks it on
// save. Without secrets in the document, the authentication is not checked,
// since every secret would be reported missing.
func datasourceWarnings(datasources []fieldlink.Datasource, secretsOmitted bool) []string {
	var warnings []string
	for _, ds := range datasources {
		err := ds.Validate()
		if err == nil && !secretsOmitted {
			err = credential.Validate(ds.Auth)
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("datasource %q (%s) would be rejected on its next save: %v", ds.Name, ds.ID, fieldlink.ErrorMessage(err)))
		}
	}
	return warnings
}

// Write writes the plan's records into target with their IDs, so hook URLs
// and item lookup URLs stay valid. The target writes every record in one
// transaction, or nothing. With replace, the target deletes the records
// that the import collides with in that transaction instead of rejecting
// the import.
func (p Plan) Write(ctx context.Context, target Target, replace bool) (Summary, error) {
	replaced, err := target.ImportRecords(ctx, p.Records, replace)
	if err != nil {
		return Summary{}, err
	}
	summary := p.Summary
	summary.Replaced = replaced
	return summary, nil
}

// records returns the document's records with their secrets, leaving out
// the admins and tokens that carry no hash, and counts them. The secrets
// must be open.
func (d *Document) records() (Records, Summary) {
	var r Records
	for _, rec := range d.Datasources {
		r.Datasources = append(r.Datasources, rec.datasource())
	}
	for _, rec := range d.Items {
		r.Items = append(r.Items, rec.item())
	}
	for _, rec := range d.Rules {
		r.Rules = append(r.Rules, rec.rule())
	}
	for _, rec := range d.Hooks {
		r.Hooks = append(r.Hooks, rec.hook())
	}

	var s Summary
	for _, rec := range d.Admins {
		a := rec.admin()
		if a.PasswordHash == "" {
			s.SkippedAdmins++
			continue
		}
		r.Admins = append(r.Admins, a)
	}
	for _, rec := range d.Tokens {
		t := rec.token()
		if t.Hash == "" {
			s.SkippedTokens++
			continue
		}
		r.Tokens = append(r.Tokens, t)
	}

	s.Datasources, s.Items, s.Rules, s.Hooks = len(r.Datasources), len(r.Items), len(r.Rules), len(r.Hooks)
	s.Admins, s.Tokens = len(r.Admins), len(r.Tokens)
	return r, s
}

// validate checks the records of the document before anything is written.
func validate(doc Document) error {
	datasources := map[string]bool{}
	for i, rec := range doc.Datasources {
		if err := checkID("datasource", rec.Name, i, rec.ID, datasources); err != nil {
			return err
		}
		if strings.TrimSpace(rec.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "datasource %s field name is missing: give the datasource a name", rec.ID)
		}
		if err := validateDatasource(rec); err != nil {
			return err
		}
	}

	items := map[string]bool{}
	for i, it := range doc.Items {
		if err := checkID("item", it.Name, i, it.ID, items); err != nil {
			return err
		}
		if strings.TrimSpace(it.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "item %s field name is missing: give the item a name", it.ID)
		}
		if !datasources[it.Datasource] {
			return fieldlink.Errorf(fieldlink.EInvalid, "item %q field datasource names datasource %q, which the document does not contain: add that datasource to the document or point the item at one of its datasources", it.Name, it.Datasource)
		}
	}

	rules := map[string]bool{}
	for i, r := range doc.Rules {
		if err := checkID("rule", r.Name, i, r.ID, rules); err != nil {
			return err
		}
	}

	hooks := map[string]bool{}
	for i, h := range doc.Hooks {
		if err := checkID("hook", h.Name, i, h.ID, hooks); err != nil {
			return err
		}
		if strings.TrimSpace(h.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "hook %s field name is missing: give the hook a name", h.ID)
		}
		if h.JiraDatasource != "" && !datasources[h.JiraDatasource] {
			return fieldlink.Errorf(fieldlink.EInvalid, "hook %q field jiraDatasource names datasource %q, which the document does not contain: add that datasource to the document or point the hook at one of its datasources", h.Name, h.JiraDatasource)
		}
	}

	return validateAccounts(doc)
}

// validateDatasource rejects a datasource whose URLs carry user
// information, as the API does when it saves one. The store would keep such
// a password in clear text and the API would show it.
//
// The other settings are only reported in Plan.Warnings, because documents
// written by earlier versions may hold records that today's stricter checks
// reject.
func validateDatasource(rec DatasourceRecord) error {
	ds := rec.datasource()
	urls := []struct{ field, raw string }{
		{"baseUrl", ds.BaseURL},
		{"apiDocumentationUrl", ds.APIDocumentationURL},
		{"auth.tokenUrl", ds.Auth.TokenURL},
	}
	for _, u := range urls {
		parsed, err := url.Parse(u.raw)
		if err == nil && parsed.User != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "datasource %q (%s) field %s %q carries credentials: remove them from the URL and put them in the auth settings, in the document or in the source installation before exporting again",
				rec.Name, rec.ID, u.field, parsed.Redacted())
		}
	}
	return nil
}

// validateAccounts checks the admins and API tokens of the document.
func validateAccounts(doc Document) error {
	usernames := map[string]bool{}
	for i, a := range doc.Admins {
		if strings.TrimSpace(a.Username) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "admin %d field username is missing: give a file written by fieldlink export", i+1)
		}
		if usernames[a.Username] {
			return fieldlink.Errorf(fieldlink.EInvalid, "admin %q is in the document twice: keep one", a.Username)
		}
		usernames[a.Username] = true
	}

	tokens := map[string]bool{}
	for i, t := range doc.Tokens {
		if err := checkID("API token", t.Name, i, t.ID, tokens); err != nil {
			return err
		}
		if strings.TrimSpace(t.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "API token %s field name is missing: give the token a name", t.ID)
		}
		if !auth.ValidScope(t.Scope) {
			return fieldlink.Errorf(fieldlink.EInvalid, "API token %q field scope is %q: use %q or %q", t.Name, t.Scope, auth.ScopeReadOnly, auth.ScopeAdmin)
		}
	}
	return nil
}

// checkID rejects a missing, malformed or repeated ID of the index-th
// record of a kind, and adds a good one to seen. IDs go into URLs, such as
// the hook URL that Jira calls, so only letters, digits, "_" and "-" are
// accepted.
func checkID(kind, name string, index int, id string, seen map[string]bool) error {
	if id == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "%s %d (%q) field id is missing: give a file written by fieldlink export", kind, index+1, name)
	}
	if len(id) > maxIDLength || strings.IndexFunc(id, notIDRune) >= 0 {
		return fieldlink.Errorf(fieldlink.EInvalid, "%s %q field id %q is invalid: an ID has at most %d letters, digits, \"_\" and \"-\"; give a file written by fieldlink export", kind, name, id, maxIDLength)
	}
	if seen[id] {
		return fieldlink.Errorf(fieldlink.EInvalid, "%s %q field id %s is used by an earlier %s too: give each %s its own ID", kind, name, id, kind, kind)
	}
	seen[id] = true
	return nil
}

func notIDRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
}
