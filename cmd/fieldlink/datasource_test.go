package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

const testAdminToken = "cli-test-admin-token-0123456789"

// fakeTester returns the result TestFunc chooses instead of connecting.
type fakeTester struct {
	TestFunc func(ds fieldlink.Datasource) fieldlink.TestResult
}

func (f *fakeTester) Test(_ context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	return f.TestFunc(ds)
}

// testAPI is the real REST API on a real SQLite file, served on loopback.
type testAPI struct {
	t        *testing.T
	url      string
	db       *store.DB
	tester   *fakeTester
	warnings map[string][]string // by datasource name
}

func startAPI(t *testing.T) *testAPI {
	t.Helper()
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	a := &testAPI{
		t:  t,
		db: db,
		tester: &fakeTester{TestFunc: func(fieldlink.Datasource) fieldlink.TestResult {
			return fieldlink.TestResult{OK: true, Status: fieldlink.StatusValidAccessToken, Steps: []fieldlink.TestStep{{Name: "token", OK: true, Message: "token received"}}}
		}},
		warnings: map[string][]string{},
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Store:          db,
		Tester:         a.tester,
		AdminTokenHash: sha256.Sum256([]byte(testAdminToken)),
		WarningsFunc: func(ds fieldlink.Datasource, _ time.Time) []string {
			return a.warnings[ds.Name]
		},
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// run runs the command line against the API with the admin token and
// returns what it wrote to stdout and stderr.
func (a *testAPI) run(args ...string) (stdout, stderr string, err error) {
	a.t.Helper()
	args = append(args, "--server", a.url, "--token", testAdminToken)
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// create runs "datasource create" on a file with the content and returns
// the new datasource's ID.
func (a *testAPI) create(name, content string) string {
	a.t.Helper()
	out, _, err := a.run("datasource", "create", "-f", writeFile(a.t, name, content), "-o", "json")
	if err != nil {
		a.t.Fatalf("datasource create %s: %v", name, err)
	}
	var ds httpapi.DatasourceBody
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		a.t.Fatalf("create -o json printed no datasource: %v\n%s", err, out)
	}
	return ds.ID
}

func (a *testAPI) find(id string) fieldlink.Datasource {
	a.t.Helper()
	ds, err := a.db.FindDatasource(context.Background(), id)
	if err != nil {
		a.t.Fatalf("find datasource %s: %v", id, err)
	}
	return ds
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// graphJSON is a datasource in the API's JSON shape. Its addresses are on
// loopback and never requested: the connection tester is a fake.
const graphJSON = `{
  "name": "Microsoft Graph",
  "baseUrl": "http://127.0.0.1:9/v1.0",
  "testPath": "/users?$top=1",
  "auth": {
    "mode": "oauth2-client-credentials",
    "tokenUrl": "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
    "clientId": "11111111-2222-3333-4444-555555555555",
    "clientSecret": "json-secret-MARKER",
    "clientAuthentication": "body",
    "scopes": ["https://graph.microsoft.com/.default"]
  }
}`

const graphYAML = `# Microsoft Graph through Entra ID
name: Graph from YAML
baseUrl: http://127.0.0.1:9/v1.0
headers:
  ConsistencyLevel: eventual
timeoutSeconds: 20
auth:
  mode: oauth2-client-credentials
  tokenUrl: http://127.0.0.1:9/tenant/oauth2/v2.0/token
  clientId: 11111111-2222-3333-4444-555555555555
  clientAuthentication: header
  scopes:
    - https://graph.microsoft.com/.default
  secretExpiresAt: 2099-01-31
`

func TestDatasourceCreateFromJSON(t *testing.T) {
	a := startAPI(t)

	out, _, err := a.run("datasource", "create", "-f", writeFile(t, "graph.json", graphJSON))

	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.HasPrefix(out, "Created datasource ") {
		t.Fatalf("output = %q, want it to start with \"Created datasource\"", out)
	}
	ds := a.find(strings.Fields(out)[2])
	if ds.Name != "Microsoft Graph" || ds.TestPath != "/users?$top=1" {
		t.Errorf("stored name and test path = %q, %q", ds.Name, ds.TestPath)
	}
	if ds.Auth.ClientSecret != "json-secret-MARKER" {
		t.Errorf("stored client secret = %q, want the file's", ds.Auth.ClientSecret)
	}
	if strings.Contains(out, "MARKER") {
		t.Errorf("create printed the secret: %q", out)
	}
}

func TestDatasourceCreateFromYAML(t *testing.T) {
	a := startAPI(t)

	id := a.create("graph.yaml", graphYAML)
	ds := a.find(id)

	want := fieldlink.Auth{
		Mode:                 fieldlink.AuthOAuth2ClientCredentials,
		TokenURL:             "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
		ClientID:             "11111111-2222-3333-4444-555555555555",
		ClientAuthentication: "header",
		Scopes:               []string{"https://graph.microsoft.com/.default"},
		SecretExpiresAt:      time.Date(2099, 1, 31, 0, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(ds.Auth, want); diff != "" {
		t.Errorf("stored auth (-got +want):\n%s", diff)
	}
	if ds.Name != "Graph from YAML" || ds.TimeoutSeconds != 20 || ds.Headers["ConsistencyLevel"] != "eventual" {
		t.Errorf("stored name, timeout, headers = %q, %d, %v", ds.Name, ds.TimeoutSeconds, ds.Headers)
	}
}

func TestDatasourceCreateFromStdin(t *testing.T) {
	a := startAPI(t)
	stdin = strings.NewReader("# one document\n---\n" + graphYAML)
	t.Cleanup(func() { stdin = os.Stdin })

	_, _, err := a.run("datasource", "create", "-f", "-")

	if err != nil {
		t.Fatalf("create from YAML on standard input: %v", err)
	}
	all, err := a.db.ListDatasources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Name != "Graph from YAML" {
		t.Errorf("stored datasources = %+v, want the one from standard input", all)
	}
}

func TestDatasourceCreateYAMLTypo(t *testing.T) {
	a := startAPI(t)
	typo := strings.Replace(graphYAML, "baseUrl:", "testPth: /me\nbaseUrl:", 1)

	_, _, err := a.run("datasource", "create", "-f", writeFile(t, "graph.yml", typo))

	if err == nil {
		t.Fatal("create with an unknown YAML key succeeded")
	}
	if !strings.Contains(err.Error(), `unknown field "testPth"`) {
		t.Errorf("error = %q, want the API's unknown field message", err)
	}
	if all, _ := a.db.ListDatasources(context.Background()); len(all) != 0 {
		t.Errorf("a datasource was stored: %+v", all)
	}
}

func TestDatasourceCreateBadInput(t *testing.T) {
	a := startAPI(t)
	tests := []struct {
		name    string
		file    string
		content string
		want    string
	}{
		{"json syntax", "ds.json", "{\n  \"name\": \"x\",\n  \"baseUrl\" \"http://127.0.0.1:9\"\n}", "not valid JSON at line 3, column 13"},
		{"yaml syntax", "ds.yaml", "name: [x\n", "is not valid YAML"},
		{"yaml repeated key", "ds.yaml", "name: a\nname: b\n", `key "name" is given twice`},
		{"yaml two documents", "ds.yaml", "---\nname: a\n---\nname: b\n", "more than one YAML document"},
		{"empty file", "ds.yaml", "\n\n", "is empty"},
		{"array", "ds.json", "[]", "does not contain an object"},
		{"missing field", "ds.json", `{"name": "x", "auth": {"mode": "none"}}`, "baseUrl is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := a.run("datasource", "create", "-f", writeFile(t, tt.file, tt.content))

			if err == nil {
				t.Fatal("create succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDatasourceSecretEnv(t *testing.T) {
	a := startAPI(t)
	t.Setenv("GRAPH_SECRET", "env-secret-MARKER")
	t.Setenv("TLS_KEY", "tls-key-MARKER")

	out, errOut, err := a.run("datasource", "create", "-f", writeFile(t, "graph.yaml", graphYAML),
		"--secret-env", "clientSecret=GRAPH_SECRET", "--secret-env", "tlsClientKey=TLS_KEY")

	if err != nil {
		t.Fatalf("create: %v", err)
	}
	ds := a.find(strings.Fields(out)[2])
	if ds.Auth.ClientSecret != "env-secret-MARKER" || ds.Auth.TLSClientKey != "tls-key-MARKER" {
		t.Errorf("stored secrets = %q, %q, want the environment's", ds.Auth.ClientSecret, ds.Auth.TLSClientKey)
	}
	if strings.Contains(out+errOut, "MARKER") {
		t.Errorf("create printed a secret:\n%s%s", out, errOut)
	}
}

func TestDatasourceSecretEnvErrors(t *testing.T) {
	a := startAPI(t)
	file := writeFile(t, "graph.yaml", graphYAML)
	t.Setenv("EMPTY_SECRET", "")
	tests := []struct {
		flag string
		want string
	}{
		{"clientSecret=NOT_SET_ANYWHERE", "environment variable NOT_SET_ANYWHERE is not set or empty"},
		{"clientSecret=EMPTY_SECRET", "environment variable EMPTY_SECRET is not set or empty"},
		{"clientId=GRAPH_ID", `"clientId" is not a secret auth field`},
		{"clientSecret", "is not FIELD=VAR"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			_, stderr, err := a.run("datasource", "create", "-f", file, "--secret-env", tt.flag)

			if err == nil {
				t.Fatal("create succeeded")
			}
			// A flag value error is printed by package flag, with the usage.
			if !strings.Contains(err.Error()+stderr, tt.want) {
				t.Errorf("error = %q, stderr %q, want one to contain %q", err, stderr, tt.want)
			}
		})
	}
}

func TestDatasourceListTable(t *testing.T) {
	a := startAPI(t)
	graph := a.create("graph.json", graphJSON)
	yaml := a.create("graph.yaml", graphYAML)

	out, _, err := a.run("datasource", "list")

	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Split(strings.Join(strings.Fields(line), " "), " "))
	}
	// The days left depend on today's date, so the count is checked by
	// pattern and then replaced for the comparison.
	if len(rows) > 1 && len(rows[1]) > 2 {
		days := &rows[1][len(rows[1])-2]
		if !regexp.MustCompile(`^\(\d{4,6}$`).MatchString(*days) {
			t.Errorf("days left of %s = %q, want \"(\" and a number of days", yaml, *days)
		}
		*days = "(N"
	}
	want := [][]string{
		{"ID", "NAME", "AUTH", "BASE", "URL", "HEALTH", "EXPIRY"},
		{yaml, "Graph", "from", "YAML", "oauth2-client-credentials", "http://127.0.0.1:9/v1.0", "unknown", "2099-01-31", "(N", "days)"},
		{graph, "Microsoft", "Graph", "oauth2-client-credentials", "http://127.0.0.1:9/v1.0", "unknown", "-"},
	}
	if diff := cmp.Diff(rows, want); diff != "" {
		t.Errorf("list table (-got +want):\n%s\n%s", diff, out)
	}
}

func TestDatasourceListEmpty(t *testing.T) {
	a := startAPI(t)

	out, _, err := a.run("datasource", "list")

	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if !strings.Contains(out, "No datasources yet") {
		t.Errorf("output = %q, want a note that there are no datasources", out)
	}
}

func TestDatasourceListJSON(t *testing.T) {
	a := startAPI(t)
	a.create("graph.json", graphJSON)
	a.create("graph.yaml", graphYAML)

	out, _, err := a.run("datasource", "list", "-o", "json")

	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var list httpapi.ListBody[httpapi.DatasourceBody]
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list -o json is not the API's list: %v\n%s", err, out)
	}
	var names []string
	for _, ds := range list.Items {
		names = append(names, ds.Name)
	}
	if diff := cmp.Diff(names, []string{"Graph from YAML", "Microsoft Graph"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
	if len(list.Items[0].Expiry) != 1 || list.Items[0].Expiry[0].Secret != "auth.clientSecret" {
		t.Errorf("expiry of the YAML datasource = %+v, want auth.clientSecret", list.Items[0].Expiry)
	}
}

func TestDatasourceShowHidesSecret(t *testing.T) {
	a := startAPI(t)
	a.warnings["Microsoft Graph"] = []string{"auth.tokenUrl uses the common tenant"}
	id := a.create("graph.json", graphJSON)

	text, _, err := a.run("datasource", "show", id)
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	raw, _, err := a.run("datasource", "show", id, "-o", "json")
	if err != nil {
		t.Fatalf("show -o json: %v", err)
	}

	for _, want := range []string{"ID:", id, "Client secret:", "set", "Health:", "unknown", "Warnings:", "auth.tokenUrl uses the common tenant", "https://graph.microsoft.com/.default"} {
		if !strings.Contains(text, want) {
			t.Errorf("show lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "MARKER") || strings.Contains(raw, "MARKER") {
		t.Errorf("show printed the secret:\n%s\n%s", text, raw)
	}
	var ds httpapi.DatasourceBody
	if err := json.Unmarshal([]byte(raw), &ds); err != nil {
		t.Fatalf("show -o json is not a datasource: %v\n%s", err, raw)
	}
	if ds.ID != id || !ds.Auth.ClientSecretSet || ds.Auth.ClientSecret != "" {
		t.Errorf("show -o json: id %q, clientSecretSet %v, clientSecret %q", ds.ID, ds.Auth.ClientSecretSet, ds.Auth.ClientSecret)
	}
}

func TestDatasourceShowNotFound(t *testing.T) {
	a := startAPI(t)

	_, _, err := a.run("datasource", "show", "ds_missing")

	if err == nil || !strings.Contains(err.Error(), "ds_missing") {
		t.Errorf("error = %v, want the API's not found message naming the ID", err)
	}
}

func TestDatasourceUpdateKeepsSecret(t *testing.T) {
	a := startAPI(t)
	id := a.create("graph.json", graphJSON)
	renamed := strings.Replace(graphYAML, "name: Graph from YAML", "name: Graph renamed", 1)

	out, _, err := a.run("datasource", "update", id, "-f", writeFile(t, "graph.yaml", renamed))

	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if want := "Updated datasource " + id + " (Graph renamed)"; !strings.Contains(out, want) {
		t.Errorf("output = %q, want %q", out, want)
	}
	ds := a.find(id)
	if ds.Name != "Graph renamed" || ds.Auth.ClientAuthentication != "header" {
		t.Errorf("stored name and client authentication = %q, %q", ds.Name, ds.Auth.ClientAuthentication)
	}
	if ds.Auth.ClientSecret != "json-secret-MARKER" {
		t.Errorf("stored client secret = %q, want the one kept from create", ds.Auth.ClientSecret)
	}
}

func TestDatasourceDelete(t *testing.T) {
	a := startAPI(t)
	id := a.create("graph.json", graphJSON)

	out, _, err := a.run("datasource", "delete", id)

	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if !strings.Contains(out, "Deleted datasource "+id) {
		t.Errorf("output = %q", out)
	}
	if _, err := a.db.FindDatasource(context.Background(), id); fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		t.Errorf("find after delete: %v, want not found", err)
	}
	if _, _, err := a.run("datasource", "delete", id); err == nil {
		t.Error("second delete succeeded")
	}
}

func TestDatasourceTestFailingStep(t *testing.T) {
	a := startAPI(t)
	id := a.create("graph.json", graphJSON)
	a.tester.TestFunc = func(ds fieldlink.Datasource) fieldlink.TestResult {
		return fieldlink.TestResult{
			OK:     false,
			Status: "TOKEN REQUEST FAILED",
			Steps: []fieldlink.TestStep{
				{Name: "address", OK: true, DurationMS: 1, Message: "127.0.0.1 is allowed"},
				{Name: "token", OK: false, DurationMS: 42, Message: "invalid_client: AADSTS7000215 for " + ds.Name, Hint: "Copy the secret's Value, not its Secret ID."},
			},
			Warnings: []string{"the secret looks like a secret ID"},
		}
	}

	out, _, err := a.run("datasource", "test", id)

	if err == nil {
		t.Fatal("test with a failing step exited 0")
	}
	if !strings.Contains(err.Error(), "TOKEN REQUEST FAILED") {
		t.Errorf("error = %q, want the status", err)
	}
	for _, want := range []string{
		"FAIL token", "42 ms", "invalid_client: AADSTS7000215 for Microsoft Graph",
		"hint: Copy the secret's Value, not its Secret ID.", "ok   address", "the secret looks like a secret ID",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDatasourceTestPasses(t *testing.T) {
	a := startAPI(t)
	id := a.create("graph.json", graphJSON)
	expires := time.Date(2099, 1, 1, 12, 0, 0, 0, time.UTC)
	a.tester.TestFunc = func(fieldlink.Datasource) fieldlink.TestResult {
		return fieldlink.TestResult{
			OK: true, Status: fieldlink.StatusValidAccessToken,
			Steps: []fieldlink.TestStep{{Name: "token", OK: true, DurationMS: 5, Message: "token received"}},
			Token: &fieldlink.TokenDetails{Type: "Bearer", ExpiresAt: expires, Roles: []string{"User.Read.All"}, AppID: "app-1"},
		}
	}

	out, _, err := a.run("datasource", "test", id)

	if err != nil {
		t.Fatalf("test: %v", err)
	}
	for _, want := range []string{"Status: VALID ACCESS TOKEN", "ok   token", "Token:", "2099-01-01 12:00 UTC", "User.Read.All", "app-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDatasourceTestDraft(t *testing.T) {
	a := startAPI(t)
	t.Setenv("GRAPH_SECRET", "draft-secret")
	var tested fieldlink.Datasource
	a.tester.TestFunc = func(ds fieldlink.Datasource) fieldlink.TestResult {
		tested = ds
		return fieldlink.TestResult{OK: true, Status: fieldlink.StatusValidAccessToken}
	}

	_, _, err := a.run("datasource", "test", "-f", writeFile(t, "graph.yaml", graphYAML), "--secret-env", "clientSecret=GRAPH_SECRET")

	if err != nil {
		t.Fatalf("test -f: %v", err)
	}
	if tested.Name != "Graph from YAML" || tested.Auth.ClientSecret != "draft-secret" {
		t.Errorf("tested datasource %q with secret %q, want the file's with the environment's secret", tested.Name, tested.Auth.ClientSecret)
	}
	if all, _ := a.db.ListDatasources(context.Background()); len(all) != 0 {
		t.Errorf("testing a draft stored it: %+v", all)
	}
}

func TestDatasourceArguments(t *testing.T) {
	a := startAPI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"datasource", "show"}, "needs a datasource ID"},
		{[]string{"datasource", "show", "a", "b"}, "takes one datasource ID"},
		{[]string{"datasource", "list", "extra"}, "takes no arguments"},
		{[]string{"datasource", "list", "-o", "yaml"}, `-o "yaml" is invalid`},
		{[]string{"datasource", "create"}, "-f FILE is missing"},
		{[]string{"datasource", "test"}, "a datasource ID or -f FILE"},
		{[]string{"datasource", "test", "ds_1", "-f", "x.json"}, "a datasource ID or -f FILE"},
		{[]string{"datasource", "test", "ds_1", "--secret-env", "clientSecret=GRAPH_SECRET"}, "--secret-env applies only to -f FILE"},
		{[]string{"datasource", "frobnicate"}, `unknown datasource command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			_, _, err := a.run(tt.args...)

			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDatasourceMissingToken(t *testing.T) {
	t.Setenv("FIELDLINK_ADMIN_TOKEN", "")

	err := run(context.Background(), []string{"datasource", "list", "--server", "http://127.0.0.1:9"}, &bytes.Buffer{}, &bytes.Buffer{})

	if err == nil || !strings.Contains(err.Error(), "set FIELDLINK_ADMIN_TOKEN") {
		t.Errorf("error = %v, want it to name FIELDLINK_ADMIN_TOKEN", err)
	}
}

func TestDatasourceTokenFromEnvironment(t *testing.T) {
	a := startAPI(t)
	t.Setenv("FIELDLINK_ADMIN_TOKEN", testAdminToken)
	t.Setenv("FIELDLINK_URL", a.url)

	var out bytes.Buffer
	err := run(context.Background(), []string{"datasource", "list"}, &out, &bytes.Buffer{})

	if err != nil {
		t.Fatalf("list with FIELDLINK_URL and FIELDLINK_ADMIN_TOKEN: %v", err)
	}
	if !strings.HasPrefix(out.String(), "No datasources yet") {
		t.Errorf("output = %q, want the note for an empty list", out.String())
	}
}

func TestDatasourceWrongToken(t *testing.T) {
	a := startAPI(t)
	var errOut bytes.Buffer

	err := run(context.Background(), []string{"datasource", "list", "--server", a.url, "--token", "wrong-token-SECRET"}, &bytes.Buffer{}, &errOut)

	if err == nil || !strings.Contains(err.Error(), "missing or invalid admin token") {
		t.Errorf("error = %v, want the API's unauthorized message", err)
	}
	if strings.Contains(err.Error()+errOut.String(), "wrong-token-SECRET") {
		t.Errorf("the token was echoed: %v %s", err, errOut.String())
	}
}

func TestDatasourceServerDown(t *testing.T) {
	err := run(context.Background(), []string{"datasource", "list", "--server", "http://" + freeAddr(t), "--token", testAdminToken}, &bytes.Buffer{}, &bytes.Buffer{})

	if err == nil || !strings.Contains(err.Error(), "check that fieldlink is serving at") {
		t.Errorf("error = %v, want a hint to check the server", err)
	}
}
