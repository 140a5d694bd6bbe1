package config

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/internal/fuzzcheck"
	"github.com/fieldlink/fieldlink/seal"
)

// secretMarker starts every secret of the fuzzed documents, as in the
// format 2 fixtures, so the test can tell when an error quotes a secret.
const secretMarker = "SECRET-MARKER"

// recordKinds are the words that an error about one record starts with.
var recordKinds = []string{"datasource", "item", "rule", "hook", "admin", "API token"}

// FuzzImportDocument decodes any input as `fieldlink import` does and plans
// its import with the transport key of the format 2 fixtures. Neither step
// panics. A rejection names the document or the record it is about, and
// never contains a secret marker that occurs only in secret values. An
// accepted document loses none of the secrets it carries, and exporting its
// records again, sealed, then importing that document gives the same
// records.
func FuzzImportDocument(f *testing.F) {
	key := fixtureTransportKey(f)
	for _, name := range []string{"format2-plaintext.json", "format2-sealed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, doc := range fuzzSeedDocuments(f, key) {
		data, err := json.Marshal(doc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, raw := range []string{
		``, `null`, `[]`, `{"format": 3}`, `{"format": 2, "secrets": "plaintext"}`, `{"format": 1e400}`,
		`{"format": 3, "secrets": "plaintext", "datasources": [{"id": "ds_a", "name": "A", "secrets": {"password": 7}}]}`,
		`{"format": 3, "secrets": "plaintext", "rules": [{"id": "ru_a", "name": "A", "fields": {"customfield_1": {"b": [1, 2.50, "<x>"], "a": null}}}]}`,
		`{"format": 2, "secrets": "plaintext", "datasources": [{"ID": "ds_a", "Name": "A", "Auth": {"Mode": "basic", "Password": "` + secretMarker + `-inline"}}]}`,
	} {
		f.Add([]byte(raw))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		inSecrets, elsewhere := fuzzcheck.CountMarker(data, secretMarker, isSecretValue)
		secretOnly := inSecrets > 0 && elsewhere == 0

		doc, err := DecodeDocument(data)
		if err != nil {
			checkImportError(t, "DecodeDocument", err, nil, secretOnly)
			return
		}
		plan, err := PlanImport(doc, key)
		if err != nil {
			checkImportError(t, "PlanImport", err, recordKinds, secretOnly)
			return
		}
		checkSecretsKept(t, doc, plan.Records)

		again := reexport(t, plan.Records, key)
		if diff := cmp.Diff(again, plan.Records, cmpopts.EquateEmpty(), cmp.Transformer("json", normalizeJSON)); diff != "" {
			t.Errorf("the records changed when exported and imported again (-again +first):\n%s", diff)
		}
	})
}

// fixtureTransportKey reads the transport key of the format 2 fixtures.
func fixtureTransportKey(f *testing.F) []byte {
	f.Helper()

	text, err := os.ReadFile(filepath.Join("testdata", "format2-transport.key"))
	if err != nil {
		f.Fatal(err)
	}
	key, err := seal.DecodeKey(strings.TrimSpace(string(text)))
	if err != nil {
		f.Fatal(err)
	}
	return key
}

// fuzzSeedDocuments returns documents of format version 3 with a record of
// each kind: with plaintext, sealed and omitted secrets, and with the
// mistakes that make an import drop a secret.
func fuzzSeedDocuments(f *testing.F, key []byte) []Document {
	f.Helper()

	marked := func() Document {
		doc := testDocument()
		doc.Datasources[0].Secrets = map[string]string{"clientSecret": secretMarker + "-client", "tlsClientKey": secretMarker + "-tls"}
		doc.Hooks[0].Secrets = map[string]string{hookSecretName: secretMarker + "-hook"}
		doc.Rules[0].Fields = map[string]json.RawMessage{"customfield_10001": json.RawMessage(`{ "value": "EMEA" }`)}
		return doc
	}

	sealed := marked()
	if err := sealed.SealSecrets(key); err != nil {
		f.Fatal(err)
	}
	omitted := marked()
	omitted.OmitSecrets()

	unknownName := marked()
	unknownName.Datasources[0].Secrets["clientsecret"] = secretMarker + "-typo"
	sealedInPlaintext := marked()
	sealedInPlaintext.Hooks[0].SealedSecrets = sealed.Hooks[0].SealedSecrets
	plaintextInSealed := sealed
	plaintextInSealed.Datasources = []DatasourceRecord{marked().Datasources[0]}
	unknownMode := marked()
	unknownMode.Secrets = "clear"

	return []Document{marked(), sealed, omitted, unknownName, sealedInPlaintext, plaintextInSealed, unknownMode}
}

// isSecretValue reports whether a JSON path of a document leads to a secret:
// an entry of a record's secrets, or a secret field of a datasource's Auth
// in formats 1 and 2. encoding/json matches member names ignoring case.
func isSecretValue(path []string) bool {
	if len(path) < 2 {
		return false
	}
	parent, name := path[len(path)-2], path[len(path)-1]
	if strings.EqualFold(parent, "secrets") {
		return true
	}
	if !strings.EqualFold(parent, "auth") {
		return false
	}
	for secret := range new(fieldlink.Auth).SecretFields() {
		if strings.EqualFold(name, secret) {
			return true
		}
	}
	return false
}

// checkImportError checks that a rejection starts with "the file" or "the
// document", or with one of kinds and a space, and that it does not contain
// the secret marker when checkMarker is set.
func checkImportError(t *testing.T, step string, err error, kinds []string, checkMarker bool) {
	t.Helper()

	message := err.Error()
	named := strings.HasPrefix(message, "the file ") || strings.HasPrefix(message, "the document")
	for _, kind := range kinds {
		named = named || strings.HasPrefix(message, kind+" ")
	}
	if !named {
		t.Errorf("%s error %q names neither the document nor a record", step, message)
	}
	if checkMarker && strings.Contains(message, secretMarker) {
		t.Errorf("%s error %q contains a secret", step, message)
	}
}

// checkSecretsKept checks that the import keeps every secret that the
// document carries. In a document whose secrets are sealed, no record has
// clear-text secrets. In any other document, no record has sealed secrets,
// and each of its secrets reaches the imported record with the same ID.
func checkSecretsKept(t *testing.T, doc Document, records Records) {
	t.Helper()

	imported := map[string]string{}
	for _, ds := range records.Datasources {
		for name, value := range ds.Auth.SecretFields() {
			imported["datasource "+ds.ID+" "+name] = *value
		}
	}
	for _, h := range records.Hooks {
		imported["hook "+h.ID+" "+hookSecretName] = h.Secret
	}
	for _, a := range records.Admins {
		imported["admin "+a.Username+" "+adminSecretName] = a.PasswordHash
	}
	for _, tok := range records.Tokens {
		imported["token "+tok.ID+" "+tokenSecretName] = tok.Hash
	}

	for _, slot := range doc.secretSlots() {
		record := slot.kind + " " + slot.id
		if doc.Secrets == SecretsSealed {
			if len(*slot.secrets) > 0 {
				t.Errorf("%s: import accepted clear-text secrets in a document whose secrets are sealed, and dropped them", record)
			}
			continue
		}

		if len(*slot.sealed) > 0 {
			t.Errorf("%s: import accepted sealed secrets in a document whose secrets are %s, and dropped them", record, doc.Secrets)
		}
		for name, value := range *slot.secrets {
			if got := imported[record+" "+name]; got != value {
				t.Errorf("%s: secret %q was imported as %q, want the document's value", record, name, got)
			}
		}
	}
}

// reexport exports records as Export does, seals the document's secrets
// with key, and decodes and plans the import of that document again.
func reexport(t *testing.T, records Records, key []byte) Records {
	t.Helper()

	stores := Stores{
		Datasources: listedDatasources{list: records.Datasources},
		Items:       listedItems{list: records.Items},
		Rules:       listedRules{list: records.Rules},
		Hooks:       listedHooks{list: records.Hooks},
		Accounts:    listedAccounts{admins: records.Admins, tokens: records.Tokens},
	}
	doc, err := Export(context.Background(), stores)
	if err != nil {
		t.Fatalf("export the imported records: %v", err)
	}
	if err := doc.SealSecrets(key); err != nil {
		t.Fatalf("seal the exported secrets: %v", err)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode the exported document: %v", err)
	}

	decoded, err := DecodeDocument(data)
	if err != nil {
		t.Fatalf("decode the exported document %s: %v", data, err)
	}
	plan, err := PlanImport(decoded, key)
	if err != nil {
		t.Fatalf("plan the import of the exported document %s: %v", data, err)
	}
	return plan.Records
}

// normalizeJSON decodes a JSON value, such as a rule's field value, so that
// values that differ only in spacing and escaping compare equal.
func normalizeJSON(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return string(raw)
	}
	return value
}

// The listed stores return fixed records to Export. Export calls no other
// method, so the embedded interfaces stay nil.
type (
	listedDatasources struct {
		fieldlink.DatasourceStore
		list []fieldlink.Datasource
	}
	listedItems struct {
		fieldlink.ItemStore
		list []fieldlink.Item
	}
	listedRules struct {
		fieldlink.RuleStore
		list []fieldlink.Rule
	}
	listedHooks struct {
		fieldlink.HookStore
		list []fieldlink.Hook
	}
	listedAccounts struct {
		admins []auth.Admin
		tokens []auth.Token
	}
)

func (s listedDatasources) ListDatasources(context.Context) ([]fieldlink.Datasource, error) {
	return s.list, nil
}

func (s listedItems) ListItems(context.Context) ([]fieldlink.Item, error) { return s.list, nil }

func (s listedRules) ListRules(context.Context) ([]fieldlink.Rule, error) { return s.list, nil }

func (s listedHooks) ListHooks(context.Context) ([]fieldlink.Hook, error) { return s.list, nil }

func (s listedAccounts) ListAdmins(context.Context) ([]auth.Admin, error) { return s.admins, nil }

func (s listedAccounts) GetAdmin(_ context.Context, username string) (auth.Admin, error) {
	for _, a := range s.admins {
		if a.Username == username {
			return a, nil
		}
	}
	return auth.Admin{}, fieldlink.Errorf(fieldlink.ENotFound, "admin %q not found", username)
}

func (s listedAccounts) ListTokens(context.Context) ([]auth.Token, error) { return s.tokens, nil }
