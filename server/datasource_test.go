package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/server"
)

const adminToken = "server-test-admin-token-0123456789"

// syncBuffer is a log destination safe for concurrent writers.
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

type fixture struct {
	emulators *demo.Emulators
	srv       *server.Server
	api       *apiclient.Client
	dataDir   string
	logs      *syncBuffer
}

// start runs the emulators and a server with debug logs captured.
func start(t *testing.T) *fixture {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	emulators, err := demo.StartEmulators(logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulators.Close() })

	dataDir := t.TempDir()
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: dataDir, AdminToken: adminToken, AllowLoopback: true, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	return &fixture{emulators: emulators, srv: srv, dataDir: dataDir, logs: logs,
		api: &apiclient.Client{BaseURL: srv.URL(), Token: adminToken}}
}

func (f *fixture) graphDatasource(secret string) httpapi.DatasourceBody {
	return httpapi.DatasourceBody{
		Name: "Microsoft Graph", BaseURL: f.emulators.GraphURL + "/v1.0", TestPath: "/users?$top=1&$select=id",
		Auth: httpapi.AuthBody{
			Mode: "oauth2-client-credentials", TokenURL: f.emulators.TokenURL(), ClientID: demo.ClientID,
			ClientSecret: secret, ClientAuthentication: "body", Scopes: []string{demo.GraphScope},
		},
	}
}

func officeItem(datasourceID string) httpapi.ItemBody {
	return httpapi.ItemBody{Name: "Reporter office", Datasource: datasourceID, Type: "read-only",
		Request: httpapi.ItemRequestBody{Path: "/users?$filter=mail eq '${reporter.emailAddress}'&$select=officeLocation"},
		Root:    "$.value[*]", Template: "${row.officeLocation}"}
}

var reporter = fieldlink.TicketContext{Reporter: &fieldlink.User{EmailAddress: "amelie.laurent@fabrikam.example"}}

func TestConfigErrorMarksDatasourceUnhealthy(t *testing.T) {
	f := start(t)
	ctx := context.Background()

	// The Secret ID in place of the secret value: a configuration error.
	ds, err := f.api.CreateDatasource(ctx, f.graphDatasource(demo.SecretID))
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.api.CreateItem(ctx, officeItem(ds.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.EvaluateItem(ctx, it.ID, reporter); err == nil {
		t.Fatal("evaluation with the Secret ID succeeded")
	}
	requests := f.emulators.Entra.TokenRequests()

	_, err = f.api.EvaluateItem(ctx, it.ID, reporter)
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("second evaluation error = %v, want the recorded AADSTS7000215", err)
	}
	if n := f.emulators.Entra.TokenRequests(); n != requests {
		t.Errorf("the token endpoint was asked %d more times while the configuration stayed broken", n-requests)
	}
	got, err := f.api.GetDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health == nil || got.Health.Status != httpapi.HealthUnhealthy || !strings.Contains(got.Health.LastError, "AADSTS7000215") {
		t.Errorf("health = %+v, want unhealthy with AADSTS7000215", got.Health)
	}
	warned := false
	for _, w := range got.Warnings {
		warned = warned || strings.Contains(w, "Secret ID")
	}
	if !warned {
		t.Errorf("warnings = %q, want one saying the secret looks like a Secret ID", got.Warnings)
	}

	fixed := f.graphDatasource(f.emulators.ClientSecret)
	if _, err := f.api.UpdateDatasource(ctx, ds.ID, fixed); err != nil {
		t.Fatal(err)
	}
	result, err := f.api.EvaluateItem(ctx, it.ID, reporter)
	if err != nil {
		t.Fatalf("evaluation after fixing the secret: %v", err)
	}
	if result.Text != "Paris" {
		t.Errorf("office = %q, want Paris", result.Text)
	}
	got, err = f.api.GetDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.Status != httpapi.HealthHealthy {
		t.Errorf("health after the fix = %+v, want healthy", got.Health)
	}
}

// keyPair returns a fresh RSA certificate and key in PEM; Entra ID signs
// client assertions with RSA keys.
func keyPair(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "fieldlink test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// keyMarker returns a stretch of a PEM key's base64 body, which would show
// wherever the key leaked.
func keyMarker(keyPEM string) string {
	lines := strings.Split(strings.TrimSpace(keyPEM), "\n")
	return lines[1]
}

func TestNoSecretLeaks(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	assertionCert, assertionKey := keyPair(t)
	block, _ := pem.Decode([]byte(assertionCert))
	registered, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.emulators.Entra.AddCertificate(demo.ClientID, registered); err != nil {
		t.Fatal(err)
	}
	tlsCert, tlsKey := keyPair(t)
	secrets := map[string]string{
		"client secret":   f.emulators.ClientSecret,
		"Jira API token":  f.emulators.JiraAPIToken,
		"password":        "MARKER-password-5d1c",
		"bearer token":    "MARKER-bearer-8e2f",
		"API key":         "MARKER-apikey-3a7b",
		"assertion key":   keyMarker(assertionKey),
		"TLS client key":  keyMarker(tlsKey),
		"wrong secret":    "MARKER-wrong-secret-9c4d",
		"hook secret":     "", // filled in below
		"admin API token": adminToken,
	}
	var responses bytes.Buffer
	record := func(v any, err error) {
		if err != nil {
			responses.WriteString(err.Error() + "\n")
		}
		if v != nil {
			responses.WriteString(strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", " ")), "  ", " ") + "\n")
		}
	}

	graph := f.graphDatasource(f.emulators.ClientSecret)
	graph.Auth.TLSClientCertificate, graph.Auth.TLSClientKey = tlsCert, tlsKey
	created, err := f.api.CreateDatasource(ctx, graph)
	record(created, err)
	kinds := []httpapi.DatasourceBody{
		{Name: "Jira", BaseURL: f.emulators.JiraURL, TestPath: "/rest/api/3/myself",
			Auth: httpapi.AuthBody{Mode: "basic", Username: demo.JiraEmail, Password: f.emulators.JiraAPIToken}},
		{Name: "Jira with a password", BaseURL: f.emulators.JiraURL, TestPath: "/rest/api/3/myself",
			Auth: httpapi.AuthBody{Mode: "basic", Username: demo.JiraEmail, Password: secrets["password"]}},
		{Name: "Bearer", BaseURL: f.emulators.GraphURL + "/v1.0", TestPath: "/users?$top=1",
			Auth: httpapi.AuthBody{Mode: "bearer", Token: secrets["bearer token"]}},
		{Name: "API key", BaseURL: f.emulators.GraphURL + "/v1.0", TestPath: "/users?$top=1",
			Auth: httpapi.AuthBody{Mode: "api-key", APIKeyName: "key", APIKeyIn: "query", APIKeyValue: secrets["API key"]}},
		{Name: "Certificate", BaseURL: f.emulators.GraphURL + "/v1.0", TestPath: "/users?$top=1",
			Auth: httpapi.AuthBody{Mode: "oauth2-client-credentials", TokenURL: f.emulators.TokenURL(), ClientID: demo.ClientID,
				ClientAuthentication: "private_key_jwt", ClientCertificate: assertionCert, ClientPrivateKey: assertionKey,
				Scopes: []string{demo.GraphScope}}},
	}
	ids := []string{created.ID}
	if err != nil {
		t.Fatalf("create %s: %v", graph.Name, err)
	}
	for _, body := range kinds {
		ds, err := f.api.CreateDatasource(ctx, body)
		if err != nil {
			t.Fatalf("create %s: %v", body.Name, err)
		}
		record(ds, err)
		ids = append(ids, ds.ID)
	}
	passed := 0
	for _, id := range ids {
		result, err := f.api.TestDatasource(ctx, id)
		record(result, err)
		if result.OK {
			passed++
		}
		ds, err := f.api.GetDatasource(ctx, id)
		record(ds, err)
	}
	// Graph with a TLS client certificate, Jira, and the certificate
	// credential pass; the password, bearer token and API key are refused.
	if passed != 3 {
		t.Errorf("%d of %d connection tests passed, want 3", passed, len(ids))
	}
	wrong := f.graphDatasource(secrets["wrong secret"])
	result, err := f.api.TestDraftDatasource(ctx, wrong)
	record(result, err)
	list, err := f.api.ListDatasources(ctx)
	record(list, err)
	hook, err := f.api.CreateHook(ctx, httpapi.HookBody{Name: "IT Help", JiraDatasource: ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	secrets["hook secret"] = hook.Secret
	hook.Secret = ""
	record(hook, nil)
	record(metricsText(t, f.srv.URL()), nil)

	files := map[string]string{"log": f.logs.String(), "API responses": responses.String()}
	entries, err := os.ReadDir(f.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "master.key" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(f.dataDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(raw)
	}
	for name, secret := range secrets {
		if secret == "" {
			t.Fatalf("no value for %s", name)
		}
		for file, content := range files {
			if strings.Contains(content, secret) {
				t.Errorf("the %s appears in %s", name, file)
			}
		}
	}
	if strings.Contains(f.logs.String(), "eyJ") || strings.Contains(responses.String(), "eyJ") {
		t.Errorf("an access token (JWT) appears in the log or a response")
	}
}

func metricsText(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := jsonEncoder(&buf)
	_ = enc.Encode(v)
	return buf.String()
}

func TestFailedTestMarksDatasourceUnhealthy(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	ds, err := f.api.CreateDatasource(ctx, f.graphDatasource(demo.SecretID))
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.api.CreateItem(ctx, officeItem(ds.ID))
	if err != nil {
		t.Fatal(err)
	}

	result, err := f.api.TestDatasource(ctx, ds.ID)
	if err != nil || result.OK {
		t.Fatalf("test with the Secret ID = %+v, %v; want a failed test", result, err)
	}

	got, err := f.api.GetDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.Status != httpapi.HealthUnhealthy {
		t.Errorf("health after a failed test = %+v, want unhealthy", got.Health)
	}
	requests := f.emulators.Entra.TokenRequests()
	if _, err := f.api.EvaluateItem(ctx, it.ID, reporter); err == nil {
		t.Errorf("evaluation succeeded on an unhealthy datasource")
	}
	if n := f.emulators.Entra.TokenRequests(); n != requests {
		t.Errorf("evaluation asked the token endpoint %d times, want none", n-requests)
	}
}

func TestDraftTestOfSavedSettingsRecordsHealth(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	body := f.graphDatasource(demo.SecretID)
	ds, err := f.api.CreateDatasource(ctx, body)
	if err != nil {
		t.Fatal(err)
	}

	// The edit form sends the saved settings with the id and no secret.
	draft := body
	draft.ID = ds.ID
	draft.Auth.ClientSecret = ""
	if _, err := f.api.TestDraftDatasource(ctx, draft); err != nil {
		t.Fatal(err)
	}

	got, err := f.api.GetDatasource(ctx, ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.Status != httpapi.HealthUnhealthy || got.Health.LastTestAt == nil {
		t.Errorf("health after testing the unchanged form = %+v, want unhealthy with a test time", got.Health)
	}
}
