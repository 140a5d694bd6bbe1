package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

const adminToken = "test-admin-token"

type fakeTester struct {
	TestFunc func(ds fieldlink.Datasource) fieldlink.TestResult
}

func (f *fakeTester) Test(_ context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	return f.TestFunc(ds)
}

type fakeItems struct {
	EvaluateFunc func(it fieldlink.Item, tc fieldlink.TicketContext) (fieldlink.ItemResult, error)
	forgotten    []string
}

func (f *fakeItems) EvaluateWithDependencies(_ context.Context, it fieldlink.Item, _ item.Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	return f.EvaluateFunc(it, tc)
}

func (f *fakeItems) Trace(_ context.Context, it fieldlink.Item, _ fieldlink.Datasource, tc fieldlink.TicketContext) (item.Trace, error) {
	result, err := f.EvaluateFunc(it, tc)
	return item.Trace{Result: result}, err
}

func (f *fakeItems) Forget(id string) { f.forgotten = append(f.forgotten, id) }

// storeQueue stores events through the real store, as queue.Queue does, but
// enqueues no job.
type storeQueue struct {
	db     *store.DB
	mu     sync.Mutex
	stored []fieldlink.Event
}

func (q *storeQueue) Enqueue(ctx context.Context, e *fieldlink.Event) (bool, error) {
	tx, err := q.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	inserted, err := q.db.InsertEventTx(ctx, store.SQLTx(tx), e)
	if err != nil || !inserted {
		return false, err
	}
	q.mu.Lock()
	q.stored = append(q.stored, *e)
	q.mu.Unlock()
	return true, tx.Commit()
}

type apiSetup struct {
	t      *testing.T
	srv    *httptest.Server
	db     *store.DB
	tester *fakeTester
	items  *fakeItems
	queue  *storeQueue
	router routers.Router
	logs   *syncBuffer
}

// syncBuffer collects the server's log records; handlers write to it from
// other goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newAPI(t *testing.T) *apiSetup {
	t.Helper()
	items := &fakeItems{EvaluateFunc: func(fieldlink.Item, fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}}
	a := newAPIWith(t, items)
	a.items = items
	return a
}

// newAPIWith starts the API on a new SQLite file with the given items
// engine.
func newAPIWith(t *testing.T, items ItemEvaluator) *apiSetup {
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

	a := &apiSetup{
		t:  t,
		db: db,
		tester: &fakeTester{TestFunc: func(fieldlink.Datasource) fieldlink.TestResult {
			return fieldlink.TestResult{OK: true, Status: fieldlink.StatusValidAccessToken, Steps: []fieldlink.TestStep{{Name: "token", OK: true, Message: "token received"}}}
		}},
		queue:  &storeQueue{db: db},
		router: loadOpenAPI(t),
		logs:   &syncBuffer{},
	}
	a.srv = httptest.NewServer(New(Options{
		Store:            db,
		Tester:           a.tester,
		Items:            items,
		ValidateItemFunc: item.Validate,
		Queue:            a.queue,
		AdminTokenHash:   sha256.Sum256([]byte(adminToken)),
		Sessions:         auth.NewManager(auth.Options{Store: db, Logger: slog.New(slog.NewTextHandler(a.logs, nil))}),
		Tokens:           db,
		Audit:            db,
		Logger:           slog.New(slog.NewTextHandler(a.logs, nil)),
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func loadOpenAPI(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatalf("load docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is invalid: %v", err)
	}
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request and checks the response against docs/openapi.yaml.
func (a *apiSetup) call(method, path, token string, body any, header ...string) response {
	a.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)

	a.checkSchema(req, raw, resp, got)
	return response{status: resp.StatusCode, header: resp.Header, body: got}
}

func (a *apiSetup) checkSchema(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	a.t.Helper()
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	req.URL.Host = "127.0.0.1:8080"
	req.URL.Scheme = "http"
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound {
			return
		}
		a.t.Errorf("%s %s is not in docs/openapi.yaml: %v", req.Method, req.URL.Path, err)
		return
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		a.t.Errorf("%s %s answered %d, which docs/openapi.yaml does not describe: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

func decodeBody[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func graphBody(secret string) DatasourceBody {
	return DatasourceBody{
		Name:     "Microsoft Graph",
		BaseURL:  "http://127.0.0.1:9/v1.0",
		TestPath: "/users?$top=1",
		Auth: AuthBody{
			Mode: "oauth2-client-credentials", TokenURL: "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
			ClientID: "4b1d9e27-3c5a-4f86-a2d0-6e8c7b5f1a94", ClientSecret: secret, ClientAuthentication: "body",
			Scopes: []string{"https://graph.microsoft.com/.default"},
		},
	}
}

func TestDatasourceSecretIsWriteOnly(t *testing.T) {
	a := newAPI(t)
	const secret = "MARKER-client-secret-9f8e7d"

	created := a.call("POST", "/api/v1/datasources", adminToken, graphBody(secret))
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	ds := decodeBody[DatasourceBody](t, created)
	got := a.call("GET", "/api/v1/datasources/"+ds.ID, adminToken, nil)
	list := a.call("GET", "/api/v1/datasources", adminToken, nil)

	for name, r := range map[string]response{"create": created, "get": got, "list": list} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Errorf("%s answer contains the client secret: %s", name, r.body)
		}
	}
	if !decodeBody[DatasourceBody](t, got).Auth.ClientSecretSet {
		t.Errorf("clientSecretSet = false, want true")
	}
}

func TestDatasourceUpdateKeepsSecret(t *testing.T) {
	a := newAPI(t)
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, graphBody("first-secret")))

	edit := graphBody("")
	edit.Name = "Graph (renamed)"
	updated := a.call("PUT", "/api/v1/datasources/"+ds.ID, adminToken, edit)
	if updated.status != http.StatusOK {
		t.Fatalf("update: %d %s", updated.status, updated.body)
	}

	stored, err := a.db.FindDatasource(context.Background(), ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Auth.ClientSecret != "first-secret" {
		t.Errorf("secret after an edit without one = %q, want the stored one kept", stored.Auth.ClientSecret)
	}
	if stored.Name != "Graph (renamed)" {
		t.Errorf("name = %q", stored.Name)
	}
}

func TestDatasourceInvalidBodies(t *testing.T) {
	a := newAPI(t)
	noName := graphBody("s")
	noName.Name = " "
	badURL := graphBody("s")
	badURL.BaseURL = "graph.microsoft.com/v1.0"
	hostHeader := graphBody("s")
	hostHeader.Headers = map[string]string{"Host": "example.com"}

	tests := []struct {
		name string
		body any
		want string
	}{
		{"missing name", noName, "name is missing"},
		{"relative base URL", badURL, `baseUrl "graph.microsoft.com/v1.0"`},
		{"host header", hostHeader, "headers.Host cannot be set"},
		{"unknown field", `{"name":"x","baseUrl":"http://127.0.0.1","auth":{"mode":"none"},"colour":"red"}`, `unknown field "colour"`},
		{"wrong type", `{"name":"x","baseUrl":"http://127.0.0.1","timeoutSeconds":"ten","auth":{"mode":"none"}}`, `field "timeoutSeconds" must be a whole number, not a JSON string`},
		{"not JSON", `{"name":`, "not valid JSON"},
		{"empty", ``, "request body is empty"},
		{"array", `[]`, "request body is a JSON array: send a JSON object"},
		{"missing auth", `{"name":"x","baseUrl":"http://127.0.0.1"}`, "auth.mode is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.call("POST", "/api/v1/datasources", adminToken, tt.body)

			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.status, r.body)
			}
			msg := decodeBody[ErrorBody](t, r).Error.Message
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}

	list := decodeBody[ListBody[DatasourceBody]](t, a.call("GET", "/api/v1/datasources", adminToken, nil))
	if len(list.Items) != 0 {
		t.Errorf("%d datasources stored after invalid requests, want 0", len(list.Items))
	}
}

func TestDatasourceTestRoutes(t *testing.T) {
	a := newAPI(t)
	var tested []fieldlink.Datasource
	a.tester.TestFunc = func(ds fieldlink.Datasource) fieldlink.TestResult {
		tested = append(tested, ds)
		return fieldlink.TestResult{OK: true, Status: fieldlink.StatusValidAccessToken, Steps: []fieldlink.TestStep{}}
	}
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, graphBody("stored-secret")))

	saved := a.call("POST", "/api/v1/datasources/"+ds.ID+"/test", adminToken, nil)
	draft := graphBody("")
	draft.ID = ds.ID
	draftResp := a.call("POST", "/api/v1/datasources/test", adminToken, draft)

	for name, r := range map[string]response{"saved": saved, "draft": draftResp} {
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d: %s", name, r.status, r.body)
		}
		if got := decodeBody[fieldlink.TestResult](t, r).Status; got != fieldlink.StatusValidAccessToken {
			t.Errorf("%s: status %q", name, got)
		}
	}
	if len(tested) != 2 || tested[1].Auth.ClientSecret != "stored-secret" {
		t.Errorf("draft with an id was not tested with the stored secret")
	}
}

func TestAdminRoutesNeedToken(t *testing.T) {
	a := newAPI(t)
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/datasources"}, {"POST", "/api/v1/datasources"}, {"POST", "/api/v1/datasources/test"},
		{"GET", "/api/v1/datasources/x"}, {"PUT", "/api/v1/datasources/x"}, {"DELETE", "/api/v1/datasources/x"},
		{"POST", "/api/v1/datasources/x/test"},
		{"GET", "/api/v1/items"}, {"POST", "/api/v1/items"}, {"GET", "/api/v1/items/x"}, {"PUT", "/api/v1/items/x"},
		{"DELETE", "/api/v1/items/x"}, {"POST", "/api/v1/items/x/evaluate"}, {"POST", "/api/v1/items/x/test"},
		{"POST", "/api/v1/items/test"}, {"POST", "/api/v1/items/x/lookup-token"}, {"DELETE", "/api/v1/items/x/lookup-token"},
		{"GET", "/api/v1/rules"}, {"POST", "/api/v1/rules"}, {"GET", "/api/v1/rules/x"}, {"PUT", "/api/v1/rules/x"},
		{"DELETE", "/api/v1/rules/x"},
		{"GET", "/api/v1/hooks"}, {"POST", "/api/v1/hooks"}, {"GET", "/api/v1/hooks/x"}, {"DELETE", "/api/v1/hooks/x"},
		{"GET", "/api/v1/events"}, {"GET", "/api/v1/events/1"},
		{"GET", "/api/v1/tokens"}, {"POST", "/api/v1/tokens"}, {"DELETE", "/api/v1/tokens/x"},
		{"GET", "/api/v1/audit"},
	}
	for _, rt := range routes {
		for _, token := range []string{"", "wrong-token", "flt_unknown"} {
			r := a.call(rt.method, rt.path, token, `{}`)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: status %d, want 401", rt.method, rt.path, token, r.status)
			}
		}
		r := a.call(rt.method, rt.path, "", `{}`, "Cookie", auth.CookieName+"=not-a-session")
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s %s with an unknown session cookie: status %d, want 401", rt.method, rt.path, r.status)
		}
	}
}

func TestItemCreateAndEvaluate(t *testing.T) {
	a := newAPI(t)
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, graphBody("s")))
	body := ItemBody{Name: "Reporter office", Datasource: ds.ID, Type: "read-only",
		Request:  ItemRequestBody{Path: "/users/${reporter.emailAddress}?$select=officeLocation"},
		Template: "${row.officeLocation}"}

	created := a.call("POST", "/api/v1/items", adminToken, body)
	if created.status != http.StatusCreated {
		t.Fatalf("create item: %d %s", created.status, created.body)
	}
	it := decodeBody[ItemBody](t, created)
	if it.Request.Method != "GET" {
		t.Errorf("method = %q, want the default GET", it.Request.Method)
	}
	if it.CacheSeconds == nil || *it.CacheSeconds != DefaultCacheSeconds {
		t.Errorf("cacheSeconds = %v, want the default %d", it.CacheSeconds, DefaultCacheSeconds)
	}

	evaluated := a.call("POST", "/api/v1/items/"+it.ID+"/evaluate", adminToken,
		EvaluateBody{Context: fieldlink.TicketContext{Reporter: &fieldlink.User{EmailAddress: "ada@fabrikam.example"}}})
	if evaluated.status != http.StatusOK {
		t.Fatalf("evaluate: %d %s", evaluated.status, evaluated.body)
	}
	if got := decodeBody[fieldlink.ItemResult](t, evaluated).Text; got != "Paris" {
		t.Errorf("text = %q, want Paris", got)
	}

	body.Datasource = "ds_missing"
	bad := a.call("POST", "/api/v1/items", adminToken, body)
	if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "ds_missing") {
		t.Errorf("item with an unknown datasource: %d %s", bad.status, bad.body)
	}
}

// hookSetup creates a Jira datasource and a hook and returns the hook.
func hookSetup(t *testing.T, a *apiSetup) HookBody {
	t.Helper()
	jiraDS := a.call("POST", "/api/v1/datasources", adminToken, DatasourceBody{Name: "Jira", BaseURL: "http://127.0.0.1:9",
		Auth: AuthBody{Mode: "basic", Username: "a@fabrikam.example", Password: "api-token"}})
	ds := decodeBody[DatasourceBody](t, jiraDS)
	created := a.call("POST", "/api/v1/hooks", adminToken, HookBody{Name: "IT Help", JiraDatasource: ds.ID})
	if created.status != http.StatusCreated {
		t.Fatalf("create hook: %d %s", created.status, created.body)
	}
	hook := decodeBody[HookBody](t, created)
	if hook.Secret == "" {
		t.Fatal("hook created without a secret in the answer")
	}

	got := a.call("GET", "/api/v1/hooks/"+hook.ID, adminToken, nil)
	if bytes.Contains(got.body, []byte(hook.Secret)) {
		t.Errorf("GET hook shows its secret again: %s", got.body)
	}
	return hook
}

func webhookBody(key string) []byte {
	body, _ := json.Marshal(map[string]any{
		"timestamp": 1733300000000, "webhookEvent": "jira:issue_created",
		"issue": map[string]any{"id": "10001", "key": key, "fields": map[string]any{
			"reporter": map[string]any{"accountId": "712020:1", "emailAddress": "ada@fabrikam.example"}}},
	})
	return body
}

func TestIntakeAcceptsSignedWebhookOnce(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	body := webhookBody("ITH-1")
	signature := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, body))

	for _, path := range []string{"/hooks/jira", "/hooks/jira/" + hook.ID} {
		first := a.call("POST", path, "", body, "X-Hub-Signature", signature, "X-Atlassian-Webhook-Identifier", "delivery-1")
		if first.status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %s", path, first.status, first.body)
		}
	}

	if n := len(a.queue.stored); n != 1 {
		t.Errorf("%d events stored for two deliveries with one identifier, want 1", n)
	}
}

func TestIntakeRejectsBadDeliveries(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	body := webhookBody("ITH-1")
	good := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, body))
	malformed := []byte(`{"webhookEvent":"jira:issue_created"`)

	tests := []struct {
		name   string
		path   string
		body   []byte
		sig    string
		status int
	}{
		{"unsigned", "/hooks/jira", body, "", http.StatusUnauthorized},
		{"wrong signature", "/hooks/jira", body, "sha256=" + strings.Repeat("0", 64), http.StatusUnauthorized},
		{"body changed", "/hooks/jira/" + hook.ID, append([]byte(" "), body...), good, http.StatusUnauthorized},
		{"unknown hook", "/hooks/jira/hk_unknown", body, good, http.StatusNotFound},
		{"malformed", "/hooks/jira", malformed, "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, malformed)), http.StatusBadRequest},
		{"too large", "/hooks/jira", bytes.Repeat([]byte("a"), maxWebhookBytes+1), good, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.call("POST", tt.path, "", tt.body, "X-Hub-Signature", tt.sig)
			if r.status != tt.status {
				t.Errorf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
		})
	}
	if n := len(a.queue.stored); n != 0 {
		t.Errorf("%d events stored from rejected deliveries, want 0", n)
	}
}

func TestRuleValidationError(t *testing.T) {
	a := newAPI(t)
	srv := New(Options{Store: a.db, ValidateRuleFunc: func(fieldlink.Rule) error {
		return fieldlink.Errorf(fieldlink.EInvalid, "condition: must be a boolean expression")
	}, AdminTokenHash: sha256.Sum256([]byte(adminToken))})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/rules", strings.NewReader(`{"name":"x","fields":{"summary":"x"}}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)

	srv.ServeHTTP(rec, req)

	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "condition") {
		t.Errorf("status %d body %s, want 400 naming the condition", rec.Code, rec.Body)
	}
}

// officeItemSetup creates a datasource and the item "Reporter office".
func officeItemSetup(t *testing.T, a *apiSetup) ItemBody {
	t.Helper()
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, graphBody("s")))
	created := a.call("POST", "/api/v1/items", adminToken, ItemBody{Name: "Reporter office", Datasource: ds.ID, Type: "read-only",
		Request: ItemRequestBody{Path: "/users/${reporter.emailAddress}"}, Template: "${row.officeLocation}"})
	if created.status != http.StatusCreated {
		t.Fatalf("create item: %d %s", created.status, created.body)
	}
	return decodeBody[ItemBody](t, created)
}

func TestRuleWithUnknownItemRejected(t *testing.T) {
	a := newAPI(t)
	officeItemSetup(t, a)
	body := RuleBody{Name: "Paris", Condition: `items["Reporter ofice"] == "Paris"`,
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)}}

	r := a.call("POST", "/api/v1/rules", adminToken, body)

	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.status, r.body)
	}
	if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `item "Reporter ofice" (in its condition or actions), which does not exist`) {
		t.Errorf("message = %q, want it to name the unknown item", msg)
	}
}

func TestItemInUseCannotBeDeletedOrRenamed(t *testing.T) {
	a := newAPI(t)
	it := officeItemSetup(t, a)
	created := a.call("POST", "/api/v1/rules", adminToken, RuleBody{Name: "Paris", Condition: `items["Reporter office"] == "Paris"`,
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)}})
	if created.status != http.StatusCreated {
		t.Fatalf("create rule: %d %s", created.status, created.body)
	}

	deleted := a.call("DELETE", "/api/v1/items/"+it.ID, adminToken, nil)
	renamedBody := it
	renamedBody.Name = "Office"
	renamedBody.ID = ""
	renamed := a.call("PUT", "/api/v1/items/"+it.ID, adminToken, renamedBody)

	for name, r := range map[string]response{"delete": deleted, "rename": renamed} {
		if r.status != http.StatusConflict {
			t.Errorf("%s: status %d, want 409: %s", name, r.status, r.body)
			continue
		}
		if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `rule "Paris" refers to it`) {
			t.Errorf("%s: message %q does not name the rule", name, msg)
		}
	}
}

func TestIntakeIgnoresIssueUpdated(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	body := []byte(strings.Replace(string(webhookBody("ITH-1")), "jira:issue_created", "jira:issue_updated", 1))
	signature := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, body))

	r := a.call("POST", "/hooks/jira", "", body, "X-Hub-Signature", signature)

	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"ignored"`) {
		t.Errorf("issue_updated: %d %s, want 200 ignored", r.status, r.body)
	}
	if n := len(a.queue.stored); n != 0 {
		t.Errorf("%d events stored, want 0", n)
	}
}

func TestHookURLUsesPublicURL(t *testing.T) {
	a := newAPI(t)
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, DatasourceBody{Name: "Jira", BaseURL: "http://127.0.0.1:9",
		Auth: AuthBody{Mode: "basic", Username: "a@fabrikam.example", Password: "api-token"}}))
	srv := New(Options{Store: a.db, PublicURL: "https://fieldlink.fabrikam.example/", AdminTokenHash: sha256.Sum256([]byte(adminToken))})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/hooks", strings.NewReader(`{"name":"IT Help","jiraDatasource":"`+ds.ID+`"}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)

	srv.ServeHTTP(rec, req)

	var hook HookBody
	if err := json.Unmarshal(rec.Body.Bytes(), &hook); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	if want := "https://fieldlink.fabrikam.example/hooks/jira/" + hook.ID; hook.URL != want {
		t.Errorf("url = %q, want %q", hook.URL, want)
	}
}

func TestJSONNotHTMLEscaped(t *testing.T) {
	a := newAPI(t)
	body := graphBody("s")
	body.TestPath = "/users?$top=1&$select=id"

	r := a.call("POST", "/api/v1/datasources", adminToken, body)

	if !strings.Contains(string(r.body), `"/users?$top=1&$select=id"`) {
		t.Errorf("test path escaped in the response: %s", r.body)
	}
}
