package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/server"
	"github.com/fieldlink/fieldlink/store"
)

// The admin account of a secrets run and the client the second Entra ID
// emulator registers for client authentication in the header.
const (
	secretsAdmin     = "ana"
	headerClientID   = "7c2e4b19-5d3a-4e8f-9b60-1a2c3d4e5f60"
	headerTenantID   = "0e6d2c41-8a7b-4c39-b5f2-9d1e3a4b5c6d"
	oidcClientID     = "fieldlink"
	secretsOIDCEmail = "ana@example.com"
)

// secretsRun is one fieldlink server, with the emulators and misbehaving
// upstreams it talks to, and every secret the run gives it.
type secretsRun struct {
	t       *testing.T
	ctx     context.Context
	secrets *secretSet

	// rec records every response the test receives; client and browser
	// send through it. browser keeps cookies, and neither follows
	// redirects, so each response is recorded.
	rec     *recorder
	client  *http.Client
	browser *http.Client

	logs     *syncBuffer
	dataDir  string
	database string

	masterKey    string
	adminToken   string
	password     string
	oidcSecret   string
	headerSecret string

	srv       *server.Server
	api       *apiclient.Client
	emulators *demo.Emulators
	echo      *echoUpstream
	entra2    *tokenCapture
	provider  *oidcprovider.Provider

	// report is the output of the demo's configuration steps.
	report bytes.Buffer

	// datasources maps a datasource's name to its ID.
	datasources map[string]string
	// hookID and hookSecret are the demo's webhook and its current secret.
	hookID, hookSecret string
	officeItemID       string
}

// newSecretsRun starts everything a run needs. database is a PostgreSQL URL,
// or empty for SQLite in the data folder.
func newSecretsRun(t *testing.T, database string) *secretsRun {
	t.Helper()
	r := &secretsRun{
		t: t, ctx: context.Background(), secrets: newSecretSet(), rec: newRecorder(),
		logs: &syncBuffer{}, dataDir: t.TempDir(), database: database, datasources: map[string]string{},
	}
	r.client = &http.Client{Transport: r.rec, CheckRedirect: noRedirects}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	r.browser = &http.Client{Transport: r.rec, Jar: jar, CheckRedirect: noRedirects}

	r.masterKey = r.newMasterKey("masterkey")
	r.adminToken = newMarker("admintoken")
	r.secrets.add("admin token", r.adminToken)
	r.password = newMarker("adminpassword")
	r.secrets.add("admin password", r.password, basicForm(secretsAdmin, r.password))
	r.oidcSecret = newMarker("oidcsecret")
	r.secrets.add("OIDC client secret", r.oidcSecret, clientBasicForm(oidcClientID, r.oidcSecret))

	clientSecret, jiraToken := newMarker("clientsecret-body"), newMarker("jira-apitoken")
	r.secrets.add("OAuth client secret (body)", clientSecret, clientBasicForm(demo.ClientID, clientSecret))
	r.secrets.add("Jira API token", jiraToken, basicForm(demo.JiraEmail, jiraToken))
	// The emulators log to a logger of their own: the test searches what
	// fieldlink logs.
	r.emulators, err = demo.StartEmulatorsWith(slog.New(slog.DiscardHandler), demo.Secrets{ClientSecret: clientSecret, JiraAPIToken: jiraToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.emulators.Close() })

	r.headerSecret = newMarker("clientsecret-header")
	r.secrets.add("OAuth client secret (header)", r.headerSecret, clientBasicForm(headerClientID, r.headerSecret))
	r.entra2 = startCapturedEntra(t, headerTenantID, headerClientID, r.headerSecret)
	r.echo = startEchoUpstream(t)
	r.provider = r.startProvider(r.oidcSecret)

	r.createAdmin()
	r.start()
	return r
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newMasterKey returns a master key whose 32 bytes are a marker, in the
// base64 form FIELDLINK_MASTER_KEY takes, and records its every encoding.
func (r *secretsRun) newMasterKey(kind string) string {
	raw := []byte(newMarker(kind) + "-padding-to-32-bytes")[:32]
	r.secrets.add("master key ("+kind+")", string(raw),
		base64.RawStdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw))
	return base64.StdEncoding.EncodeToString(raw)
}

func (r *secretsRun) startProvider(secret string) *oidcprovider.Provider {
	p, err := oidcprovider.Start(oidcprovider.Options{ClientID: oidcClientID, ClientSecret: secret, Email: secretsOIDCEmail})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(p.Close)
	return p
}

// openStore opens the run's database with its master key, as the admin
// commands do.
func (r *secretsRun) openStore() *store.DB {
	r.t.Helper()
	sealer, _, err := seal.LoadSealer(r.masterKey, filepath.Join(r.dataDir, "master.key"))
	if err != nil {
		r.t.Fatal(err)
	}
	database := r.database
	if database == "" {
		database = filepath.Join(r.dataDir, "fieldlink.db")
	}
	db, err := store.Open(r.ctx, database, sealer, slog.New(slog.DiscardHandler))
	if err != nil {
		r.t.Fatal(err)
	}
	return db
}

func (r *secretsRun) createAdmin() {
	r.t.Helper()
	db := r.openStore()
	defer db.Close()
	hash, err := auth.HashPassword(r.password)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := db.CreateAdmin(r.ctx, secretsAdmin, hash); err != nil {
		r.t.Fatal(err)
	}
}

// start starts the server with the run's current keys, at debug level.
func (r *secretsRun) start() {
	r.t.Helper()
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Start(r.ctx, server.Config{
		Listen: "127.0.0.1:0", DataDir: r.dataDir, Database: r.database, MasterKey: r.masterKey,
		AdminToken: r.adminToken, AllowLoopback: true, PublicURL: publicURL, Logger: logger,
		OIDC: server.OIDCConfig{Issuer: r.provider.URL, ClientID: oidcClientID, ClientSecret: r.oidcSecret,
			AllowedEmails: []string{"@example.com"}},
	})
	if err != nil {
		r.t.Fatalf("start fieldlink: %v", err)
	}
	r.srv = srv
	r.api = &apiclient.Client{BaseURL: srv.URL(), Token: r.adminToken, HTTPClient: r.client}
}

func (r *secretsRun) shutdown() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		r.t.Errorf("shut down fieldlink: %v", err)
	}
}

// request options.
type requestOption func(*http.Request)

// bearer sends token in place of the admin token, and "" sends no token.
func bearer(token string) requestOption {
	return func(req *http.Request) {
		req.Header.Del("Authorization")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
}

func header(name, value string) requestOption {
	return func(req *http.Request) { req.Header.Set(name, value) }
}

// do sends a request with the admin token through client and returns the
// status and body. body is sent as it is when it is a string, and as JSON
// otherwise.
func (r *secretsRun) do(client *http.Client, method, path string, body any, opts ...requestOption) (int, []byte) {
	r.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}

	req, err := http.NewRequestWithContext(r.ctx, method, r.srv.URL()+path, reader)
	if err != nil {
		r.t.Fatal(err)
	}
	if client != r.browser {
		req.Header.Set("Authorization", "Bearer "+r.adminToken)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, opt := range opts {
		opt(req)
	}

	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// call sends an admin request and fails the test unless the status is want.
func (r *secretsRun) call(method, path string, body any, want int, opts ...requestOption) []byte {
	r.t.Helper()
	status, raw := r.do(r.client, method, path, body, opts...)
	if status != want {
		r.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	return raw
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// createDatasource creates a datasource and records its ID by name.
func (r *secretsRun) createDatasource(body httpapi.DatasourceBody) string {
	r.t.Helper()
	created := decode[httpapi.DatasourceBody](r.t, r.call("POST", "/api/v1/datasources", body, http.StatusCreated))
	r.datasources[body.Name] = created.ID
	return created.ID
}

// testConnection runs Test connection on a saved datasource and returns
// whether it passed.
func (r *secretsRun) testConnection(name string) bool {
	r.t.Helper()
	result := decode[fieldlink.TestResult](r.t, r.call("POST", "/api/v1/datasources/"+r.datasources[name]+"/test", nil, http.StatusOK))
	return result.OK
}

// surfaces returns everything the run exposed so far: the log, the
// responses, what the second host of a redirect received, the demo's
// report and the data folder.
func (r *secretsRun) surfaces(when string) []surface {
	out := []surface{
		{name: "the log", text: r.logs.String()},
		{name: "the demo's report", text: r.report.String()},
		{name: "the requests a redirect's other host received", text: r.echo.otherHostReceived()},
	}
	out = append(out, r.rec.surfaces()...)
	return append(out, folderSurfaces(r.t, r.dataDir, when)...)
}

// hasSurface reports whether a surface's name starts with prefix.
func hasSurface(surfaces []surface, prefix string) bool {
	for _, sf := range surfaces {
		if strings.HasPrefix(sf.name, prefix) {
			return true
		}
	}
	return false
}

// postgresSurfaces reads every row of every table of the run's PostgreSQL
// database as text.
func (r *secretsRun) postgresSurfaces() []surface {
	r.t.Helper()
	conn, err := pgx.Connect(r.ctx, r.database)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close(r.ctx)

	rows, err := conn.Query(r.ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		r.t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var schema, name string
		err := row.Scan(&schema, &name)
		return [2]string{schema, name}, err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if len(tables) < 10 {
		r.t.Fatalf("PostgreSQL database has %d tables, want fieldlink's and River's", len(tables))
	}

	var out []surface
	for _, table := range tables {
		name := pgx.Identifier{table[0], table[1]}.Sanitize()
		rows, err := conn.Query(r.ctx, "SELECT t::text FROM "+name+" t")
		if err != nil {
			r.t.Fatalf("read %s: %v", name, err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			r.t.Fatalf("read %s: %v", name, err)
		}
		// Binary columns read as hex, which the search covers, so the rows
		// count as text.
		out = append(out, surface{name: "PostgreSQL table " + name, text: strings.Join(texts, "\n")})
	}
	return out
}

// runSecretsScenario runs every step on a run and searches every surface.
func runSecretsScenario(t *testing.T, r *secretsRun) {
	r.configureDemo()
	passed := r.createSecretKinds()
	for _, name := range []string{"Microsoft Graph", "Jira Cloud", "Graph, certificate", "Mutual TLS"} {
		if !passed[name] {
			t.Errorf("Test connection of %q failed, want it to pass", name)
		}
	}
	for _, name := range []string{"Token endpoint echoing (body)", "Bearer, echoed", "API key in the query, echoed",
		"Jira, wrong password", "Slow API", "Redirect to another host (bearer)", "Redirect loop (API key in the query)",
		"TLS, untrusted server", "TLS, no client certificate", "Graph, client secret in the header"} {
		if passed[name] {
			t.Errorf("Test connection of %q passed, want it to fail", name)
		}
	}
	r.draftTests()
	r.invalidBodies()
	r.lookups()
	r.webhooks()
	r.apiTokens()
	r.signIn(r.password)
	r.signInBySSO()
	r.failSSO()
	r.readEverything()
	r.rotateDatasourceSecrets()
	r.restartWithNewKeys()

	if received := r.echo.otherHostReceived(); received == "" {
		t.Errorf("the redirect to another host was not followed, so the test did not check it")
	}
	if len(r.entra2.issued()) == 0 {
		t.Errorf("the token endpoint of the header client issued no token")
	}
	for _, token := range r.entra2.issued() {
		r.secrets.add("access token", token)
	}

	surfaces := r.surfaces("while running")
	if r.database != "" {
		surfaces = append(surfaces, r.postgresSurfaces()...)
	} else if !hasSurface(surfaces, "data folder file fieldlink.db-wal") {
		t.Errorf("the data folder has no fieldlink.db-wal while the server runs, so the write-ahead log was not searched")
	}
	checkNoLeaks(t, r.secrets, surfaces)

	// SQLite moves the write-ahead log into the main file at shutdown.
	r.shutdown()
	checkNoLeaks(t, r.secrets, folderSurfaces(t, r.dataDir, "after shutdown"))
	t.Logf("searched %d secrets in %d responses, a log of %d bytes and the data folder", len(r.secrets.kinds()), r.rec.count(), len(r.logs.String()))
}

func TestSecretsNeverLeakSQLite(t *testing.T) {
	r := newSecretsRun(t, "")
	runSecretsScenario(t, r)
}

func TestSecretsNeverLeakPostgres(t *testing.T) {
	// The test server trusts local connections, so it ignores the password
	// that the URL carries, and the run checks that it stays hidden.
	database, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	password := newMarker("database-password")
	database.User = url.UserPassword(database.User.Username(), password)

	r := newSecretsRun(t, database.String())
	r.secrets.add("database password", password)
	runSecretsScenario(t, r)
}

// TestSecretsNeverLeakDemo runs the demo itself with marked secrets and
// searches its report, its log at debug level and its data folder.
func TestSecretsNeverLeakDemo(t *testing.T) {
	secrets := newSecretSet()
	clientSecret, jiraToken, adminToken := newMarker("demo-clientsecret"), newMarker("demo-jira-apitoken"), newMarker("demo-admintoken")
	secrets.add("client secret", clientSecret, clientBasicForm(demo.ClientID, clientSecret))
	secrets.add("Jira API token", jiraToken, basicForm(demo.JiraEmail, jiraToken))
	secrets.add("admin token", adminToken)

	var out bytes.Buffer
	logs := &syncBuffer{}
	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := demo.Run(ctx, demo.Options{Once: true, DataDir: dataDir, Out: &out, AdminToken: adminToken,
		Secrets: demo.Secrets{ClientSecret: clientSecret, JiraAPIToken: jiraToken},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if len(res.Events) < 12 {
		t.Errorf("the demo stored %d ticket events, want at least 12", len(res.Events))
	}
	if !strings.Contains(out.String(), "VALID ACCESS TOKEN") {
		t.Errorf("the demo did not pass Test connection with the marked secret:\n%s", out.String())
	}

	surfaces := []surface{{name: "the demo's report", text: out.String()}, {name: "the demo's log", text: logs.String()}}
	checkNoLeaks(t, secrets, append(surfaces, folderSurfaces(t, dataDir, "after the demo")...))
}

// TestSecretsSSOFailureNotLogged signs in at a provider whose token
// endpoint echoes the client's credentials in its error, and searches the
// log and the responses for the client secret.
func TestSecretsSSOFailureNotLogged(t *testing.T) {
	secrets := newSecretSet()
	secret := newMarker("oidcsecret-echoed")
	secrets.add("OIDC client secret", secret, clientBasicForm(oidcClientID, secret))

	echo := startEchoProvider(t)
	logs := &syncBuffer{}
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, AllowLoopback: true, PublicURL: publicURL,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OIDC:   server.OIDCConfig{Issuer: echo.URL, ClientID: oidcClientID, ClientSecret: secret, AllowedEmails: []string{"@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	rec := newRecorder()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: rec, Jar: jar, CheckRedirect: noRedirects}
	resp, err := browser.Get(srv.URL() + "/sso/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authorize, err := resp.Location()
	if err != nil {
		t.Fatalf("GET /sso/login: status %d, want a redirect to the provider", resp.StatusCode)
	}

	// The provider would send the browser back with a code and the state.
	callback := srv.URL() + "/sso/callback?code=code-1&state=" + url.QueryEscape(authorize.Query().Get("state"))
	resp, err = browser.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	landed, _ := resp.Location()
	if landed == nil || landed.Query().Get("sso_error") != "token_exchange" {
		t.Errorf("callback landed on %v, want /login with sso_error=token_exchange", landed)
	}
	if echo.tokenRequests() == 0 {
		t.Fatal("the provider's token endpoint was not called, so the test checked nothing")
	}

	surfaces := append([]surface{{name: "the log", text: logs.String()}}, rec.surfaces()...)
	checkNoLeaks(t, secrets, surfaces)
}
