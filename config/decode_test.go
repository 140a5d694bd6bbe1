package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readFormat2Fixture decodes a document that the export of format version 2
// wrote, and plans its import.
func readFormat2Fixture(t *testing.T, name string) Plan {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DecodeDocument(data)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}

	// git does not keep the key file's mode 0600, which ReadKeyFile
	// requires, so the key is decoded directly.
	keyText, err := os.ReadFile(filepath.Join("testdata", "format2-transport.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := seal.DecodeKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}

	plan, err := PlanImport(doc, key)
	if err != nil {
		t.Fatalf("plan the import of %s: %v", name, err)
	}
	return plan
}

func TestDecodeDocumentReadsFormat2(t *testing.T) {
	plaintext := readFormat2Fixture(t, "format2-plaintext.json")
	sealed := readFormat2Fixture(t, "format2-sealed.json")
	if diff := cmp.Diff(sealed.Records, plaintext.Records, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the sealed and the plaintext export of one installation differ (-sealed +plaintext):\n%s", diff)
	}

	r := plaintext.Records
	if len(r.Datasources) != 2 || len(r.Items) != 1 || len(r.Rules) != 2 || len(r.Hooks) != 1 || len(r.Admins) != 1 || len(r.Tokens) != 1 {
		t.Fatalf("records: %d datasources, %d items, %d rules, %d hooks, %d admins, %d tokens; want 2, 1, 2, 1, 1, 1",
			len(r.Datasources), len(r.Items), len(r.Rules), len(r.Hooks), len(r.Admins), len(r.Tokens))
	}

	ids := map[string]string{}
	var graph fieldlink.Datasource
	for _, ds := range r.Datasources {
		ids[ds.Name] = ds.ID
		if ds.Name == "Microsoft Graph" {
			graph = ds
		}
	}
	if graph.Auth.ClientSecret != "SECRET-MARKER-client-secret" || graph.Auth.TLSClientKey != "SECRET-MARKER-tls-key" {
		t.Errorf("Graph secrets: client secret %q, TLS client key %q; want the exported ones", graph.Auth.ClientSecret, graph.Auth.TLSClientKey)
	}
	if graph.TestPath != "/organization" || graph.TimeoutSeconds != 20 || graph.Auth.TokenParams["resource"] != "api://fieldlink" {
		t.Errorf("Graph settings: test path %q, timeout %d, token params %v; want /organization, 20 and resource", graph.TestPath, graph.TimeoutSeconds, graph.Auth.TokenParams)
	}
	if want := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC); !graph.Auth.SecretExpiresAt.Equal(want) {
		t.Errorf("Graph secret expiry = %v, want %v", graph.Auth.SecretExpiresAt, want)
	}
	if graph.Health != (fieldlink.DatasourceHealth{}) {
		t.Errorf("Graph health = %+v, want none", graph.Health)
	}

	it := r.Items[0]
	if it.DatasourceID != ids["Microsoft Graph"] {
		t.Errorf("item datasource = %q, want Graph's ID %q", it.DatasourceID, ids["Microsoft Graph"])
	}
	wantPaging := fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.next", CursorParam: "cursor", PageSize: 50}
	if it.Paging != wantPaging || it.CacheSeconds != 0 || it.MaxRows != 200 || it.LookupTokenHash != strings.Repeat("cd", 32) {
		t.Errorf("item: paging %+v, cache %d, max rows %d, lookup token hash %q; want %+v, 0, 200 and the exported hash", it.Paging, it.CacheSeconds, it.MaxRows, it.LookupTokenHash, wantPaging)
	}

	h := r.Hooks[0]
	if h.JiraDatasourceID != ids["Jira"] || h.Secret != "SECRET-MARKER-hook" || h.AutomationTokenHash != strings.Repeat("ef", 32) {
		t.Errorf("hook: Jira datasource %q, secret %q, automation token hash %q; want %q, the exported secret and hash", h.JiraDatasourceID, h.Secret, h.AutomationTokenHash, ids["Jira"])
	}
	if !h.MatchAll || h.EmailFallback != "jira" || len(h.Events) != 2 {
		t.Errorf("hook: match all %v, email fallback %q, events %v; want true, jira and two events", h.MatchAll, h.EmailFallback, h.Events)
	}
	if r.Admins[0].PasswordHash == "" || r.Tokens[0].Hash != strings.Repeat("ab", 32) {
		t.Errorf("admin hash %q, token hash %q; want the exported hashes", r.Admins[0].PasswordHash, r.Tokens[0].Hash)
	}
}

func TestDecodeDocumentRejects(t *testing.T) {
	current, err := json.Marshal(testDocument())
	if err != nil {
		t.Fatal(err)
	}
	withHealth := strings.Replace(string(current), `"name":"Graph"`, `"name":"Graph","Health":{}`, 1)
	if withHealth == string(current) {
		t.Fatal("the test document has no datasource named Graph")
	}

	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{"not JSON", "fieldlink", "not a JSON document written by fieldlink export"},
		{"newer format", `{"format": 4}`, "import it with a newer fieldlink"},
		{"no format", `{"datasources": []}`, "no valid format version"},
		{"unknown field", withHealth, `unknown field "Health"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeDocument([]byte(tt.data))
			if err == nil {
				t.Fatal("DecodeDocument succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// fillFields sets every settable field of v, recursively, to a value other
// than its zero value.
func fillFields(t *testing.T, v reflect.Value, path string) {
	t.Helper()

	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(`"` + path + `"`))
			return
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		fillFields(t, elem, path+"[0]")
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), elem))
	case reflect.Map:
		elem := reflect.New(v.Type().Elem()).Elem()
		fillFields(t, elem, path+"[key]")
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("key"), elem)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fillFields(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	default:
		t.Fatalf("%s: fillFields does not handle kind %s", path, v.Kind())
	}
}

// filled returns a T with every field set.
func filled[T any](t *testing.T) T {
	t.Helper()
	var v T
	fillFields(t, reflect.ValueOf(&v).Elem(), reflect.TypeFor[T]().Name())
	return v
}

func TestRecordsKeepEveryField(t *testing.T) {
	ds := filled[fieldlink.Datasource](t)
	it := filled[fieldlink.Item](t)
	rule := filled[fieldlink.Rule](t)
	hook := filled[fieldlink.Hook](t)

	doc := Document{
		Format:      FormatVersion,
		ID:          "doc1",
		Secrets:     SecretsPlaintext,
		Datasources: []DatasourceRecord{newDatasourceRecord(ds)},
		Items:       []ItemRecord{newItemRecord(it)},
		Rules:       []RuleRecord{newRuleRecord(rule)},
		Hooks:       []HookRecord{newHookRecord(hook)},
	}
	encoded, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeDocument(encoded)
	if err != nil {
		t.Fatal(err)
	}

	// Health describes the old installation, so it is the one field left out.
	wantDatasource := ds
	wantDatasource.Health = fieldlink.DatasourceHealth{}
	if diff := cmp.Diff(decoded.Datasources[0].datasource(), wantDatasource); diff != "" {
		t.Errorf("datasource after a round trip differs (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(decoded.Items[0].item(), it); diff != "" {
		t.Errorf("item after a round trip differs (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(decoded.Rules[0].rule(), rule); diff != "" {
		t.Errorf("rule after a round trip differs (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(decoded.Hooks[0].hook(), hook); diff != "" {
		t.Errorf("hook after a round trip differs (-got +want):\n%s", diff)
	}
}

func TestDocumentUsesAPIFieldNames(t *testing.T) {
	doc := Document{
		Format:      FormatVersion,
		Datasources: []DatasourceRecord{newDatasourceRecord(filled[fieldlink.Datasource](t))},
		Items:       []ItemRecord{newItemRecord(filled[fieldlink.Item](t))},
		Rules:       []RuleRecord{newRuleRecord(filled[fieldlink.Rule](t))},
		Hooks:       []HookRecord{newHookRecord(filled[fieldlink.Hook](t))},
	}
	encoded, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(encoded, &tree); err != nil {
		t.Fatal(err)
	}

	// Keys inside user-defined maps (headers, token parameters, rule
	// fields) are data, not field names.
	dataMaps := map[string]bool{"headers": true, "tokenParams": true, "fields": true, "secrets": true}
	var walk func(node any, path string)
	walk = func(node any, path string) {
		switch n := node.(type) {
		case map[string]any:
			for key, value := range n {
				if key[0] >= 'A' && key[0] <= 'Z' || key == "health" {
					t.Errorf("%s.%s: the document names a field as the REST API does not", path, key)
				}
				if !dataMaps[key] {
					walk(value, path+"."+key)
				}
			}
		case []any:
			for _, value := range n {
				walk(value, path+"[]")
			}
		}
	}
	walk(tree, "document")

	for _, want := range []string{`"baseUrl"`, `"apiDocumentationUrl"`, `"caBundle"`, `"tokenUrl"`, `"sendX5t"`, `"datasource"`, `"jiraDatasource"`, `"lookupTokenHash"`, `"automationTokenHash"`} {
		if !strings.Contains(string(encoded), want) {
			t.Errorf("the document lacks the field %s", want)
		}
	}
}
