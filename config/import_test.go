package config

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/google/go-cmp/cmp"
)

const (
	passwordHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"
	tokenHash    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// testDocument returns a document with one record of each kind and
// plaintext secrets.
func testDocument() Document {
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	return Document{
		Format:  FormatVersion,
		ID:      "doc1",
		Secrets: SecretsPlaintext,
		Datasources: []DatasourceRecord{{
			ID: "ds_graph", Name: "Graph", BaseURL: "http://127.0.0.1:9",
			Secrets: map[string]string{"clientSecret": "client-secret"},
		}},
		Items: []ItemRecord{{ID: "it_office", Name: "Office", Datasource: "ds_graph", LookupTokenHash: strings.Repeat("0", 64)}},
		Rules: []RuleRecord{{ID: "ru_paris", Name: "Paris", Condition: `items["Office"] == "Paris"`}},
		Hooks: []HookRecord{{
			ID: "hk_intake", Name: "Intake", JiraDatasource: "ds_graph",
			Secrets: map[string]string{hookSecretName: "hook-secret"},
		}},
		Admins: []AdminRecord{{Username: "ana", CreatedAt: created, UpdatedAt: created, Secrets: map[string]string{adminSecretName: passwordHash}}},
		Tokens: []TokenRecord{{
			Token:   auth.Token{ID: "tk_monitoring", Name: "monitoring", Scope: auth.ScopeReadOnly, CreatedAt: created, CreatedBy: "admin-token"},
			Secrets: map[string]string{tokenSecretName: tokenHash},
		}},
	}
}

func TestSealSecretsCoversAccounts(t *testing.T) {
	doc := testDocument()
	key := seal.GenerateKey()
	if err := doc.SealSecrets(key); err != nil {
		t.Fatal(err)
	}

	encoded, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"client-secret", "hook-secret", passwordHash, tokenHash} {
		if strings.Contains(string(encoded), secret) {
			t.Errorf("the sealed document contains %q in clear text", secret)
		}
	}

	if err := doc.OpenSecrets(seal.GenerateKey()); err == nil {
		t.Error("OpenSecrets with another transport key succeeded, want an error")
	}
	if err := doc.OpenSecrets(key); err != nil {
		t.Fatal(err)
	}
	want := testDocument()
	want.TransportKeyID = seal.KeyID(key)
	if diff := cmp.Diff(doc, want); diff != "" {
		t.Errorf("the opened document differs (-got +want):\n%s", diff)
	}
}

func TestPlanImportKeepsIDs(t *testing.T) {
	plan, err := PlanImport(testDocument(), nil)
	if err != nil {
		t.Fatal(err)
	}

	r := plan.Records
	got := []string{r.Datasources[0].ID, r.Items[0].ID, r.Items[0].DatasourceID, r.Rules[0].ID, r.Hooks[0].ID, r.Hooks[0].JiraDatasourceID, r.Tokens[0].ID}
	want := []string{"ds_graph", "it_office", "ds_graph", "ru_paris", "hk_intake", "ds_graph", "tk_monitoring"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("record IDs differ (-got +want):\n%s", diff)
	}
	if r.Datasources[0].Auth.ClientSecret != "client-secret" || r.Hooks[0].Secret != "hook-secret" {
		t.Errorf("secrets not moved into the records: client secret %q, hook secret %q", r.Datasources[0].Auth.ClientSecret, r.Hooks[0].Secret)
	}
	if r.Admins[0].PasswordHash != passwordHash || r.Tokens[0].Hash != tokenHash {
		t.Errorf("hashes not moved into the records: admin %q, token %q", r.Admins[0].PasswordHash, r.Tokens[0].Hash)
	}
}

func TestPlanImportSkipsAccountsWithoutHashes(t *testing.T) {
	doc := testDocument()
	doc.OmitSecrets()

	plan, err := PlanImport(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Summary
	if !s.SecretsOmitted || s.SkippedAdmins != 1 || s.SkippedTokens != 1 || s.Admins != 0 || s.Tokens != 0 {
		t.Errorf("summary = %+v, want secrets omitted and the admin and token skipped", s)
	}
}

func TestPlanImportRejects(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Document)
		wantErr string
	}{
		{"newer format", func(d *Document) { d.Format = FormatVersion + 1 }, "import it with a newer fieldlink"},
		{"no format", func(d *Document) { d.Format = 0 }, "no valid format version"},
		{"ID with a slash", func(d *Document) { d.Hooks[0].ID = "../admin" }, `hook "Intake" field id "../admin" is invalid`},
		{"long ID", func(d *Document) { d.Items[0].ID = strings.Repeat("a", maxIDLength+1) }, "at most 64"},
		{"missing ID", func(d *Document) { d.Rules[0].ID = "" }, `rule 1 ("Paris") field id is missing`},
		{"repeated ID", func(d *Document) { d.Rules = append(d.Rules, d.Rules[0]) }, "used by an earlier rule too"},
		{"unknown datasource", func(d *Document) { d.Items[0].Datasource = "ds_missing" }, `item "Office" field datasource names datasource "ds_missing"`},
		{"blank hook name", func(d *Document) { d.Hooks[0].Name = " " }, "hook hk_intake field name is missing"},
		{"repeated admin", func(d *Document) { d.Admins = append(d.Admins, d.Admins[0]) }, `admin "ana" is in the document twice`},
		{"unknown scope", func(d *Document) { d.Tokens[0].Scope = "root" }, `field scope is "root"`},
		{"unknown secret mode", func(d *Document) { d.Secrets = "clear" }, `the document's field secrets is "clear"`},
		{"misspelt secret", func(d *Document) { d.Datasources[0].Secrets["clientsecret"] = "s" }, `datasource "Graph" (ds_graph) field secrets has the unknown entry "clientsecret"`},
		{"unknown hook secret", func(d *Document) { d.Hooks[0].Secrets["token"] = "s" }, `hook "Intake" (hk_intake) field secrets has the unknown entry "token": use secret`},
		{"sealed secrets in plaintext document", func(d *Document) { d.Hooks[0].SealedSecrets = []byte("sealed") }, `hook "Intake" (hk_intake) field sealedSecrets is set, but the document's secrets are plaintext`},
		{"secrets in omitted document", func(d *Document) { d.Secrets = SecretsOmitted }, `datasource "Graph" (ds_graph) field secrets is set, but the document's secrets are omitted`},
		{"clear-text secrets in sealed document", func(d *Document) {
			plaintext := d.Datasources[0].Secrets
			if err := d.SealSecrets(seal.GenerateKey()); err != nil {
				panic(err)
			}
			d.Datasources[0].Secrets = plaintext
		}, `datasource "Graph" (ds_graph) field secrets is set, but the document's secrets are sealed`},
		{"sealed without key", func(d *Document) {
			if err := d.SealSecrets(seal.GenerateKey()); err != nil {
				panic(err)
			}
		}, "no transport key was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := testDocument()
			tt.change(&doc)

			_, err := PlanImport(doc, nil)
			if err == nil {
				t.Fatal("PlanImport succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// targetFunc is a Target whose ImportRecords calls a function.
type targetFunc func(ctx context.Context, records Records, replace bool) ([]Collision, error)

func (f targetFunc) ImportRecords(ctx context.Context, records Records, replace bool) ([]Collision, error) {
	return f(ctx, records, replace)
}

func TestPlanWriteListsReplaced(t *testing.T) {
	plan, err := PlanImport(testDocument(), nil)
	if err != nil {
		t.Fatal(err)
	}

	deleted := []Collision{{Kind: "hook", ID: "hk_intake", Name: "Intake", Reason: "same ID and name"}}
	var gotReplace bool
	summary, err := plan.Write(context.Background(), targetFunc(func(_ context.Context, _ Records, replace bool) ([]Collision, error) {
		gotReplace = replace
		return deleted, nil
	}), true)
	if err != nil {
		t.Fatal(err)
	}
	if !gotReplace {
		t.Error("Write did not pass replace to the target")
	}
	if diff := cmp.Diff(summary.Replaced, deleted); diff != "" {
		t.Errorf("summary.Replaced differs (-got +want):\n%s", diff)
	}
	if summary.Hooks != 1 || summary.Admins != 1 {
		t.Errorf("summary %+v, want 1 hook and 1 admin", summary)
	}
}
