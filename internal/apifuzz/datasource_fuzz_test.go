package apifuzz

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/fuzzcheck"
)

// secretMarker is written into the secret fields of the fuzzed request
// bodies, so the test can tell when a response or an error quotes a secret.
const secretMarker = "SECRET-MARKER-7319046528173"

// adminToken authenticates the fuzzed requests.
const adminToken = "fuzz-admin-token"

// FuzzCreateDatasource sends any body to POST /api/v1/datasources, with the
// server's auth validation, and checks the response. The server never
// panics and responds with 201 or 400. A 400 is an invalid-input error whose
// message starts with the field it is about (or "request body"), and it
// never contains the marker when the marker occurs only in secret fields. A
// 201 shows the datasource without its secrets, and sending that body back
// with PUT, as the edit form does, is accepted and changes nothing.
func FuzzCreateDatasource(f *testing.F) {
	certificate, privateKey := keyPair(f)
	markedKey := secretMarker + "\n" + privateKey
	seeds := []any{
		map[string]any{"name": "Jira", "baseUrl": "http://127.0.0.1:9", "auth": map[string]any{"mode": "basic", "username": "bot@example.com", "password": secretMarker}},
		map[string]any{"name": "Bearer", "baseUrl": "https://api.example", "testPath": "/me", "timeoutSeconds": 20, "connectTimeoutSeconds": 5,
			"auth": map[string]any{"mode": "bearer", "token": secretMarker, "secretExpiresAt": "2027-01-31"}},
		map[string]any{"name": "Key", "baseUrl": "https://api.example", "headers": map[string]string{"X-Tenant": "a"},
			"auth": map[string]any{"mode": "api-key", "apiKeyName": "X-API-Key", "apiKeyIn": "header", "apiKeyValue": secretMarker, "secretExpiresAt": "2027-01-31T12:30:00.5+02:00"}},
		map[string]any{"name": "Graph", "baseUrl": "https://graph.example/v1.0", "apiDocumentationUrl": "https://learn.example/graph",
			"auth": map[string]any{"mode": "oauth2-client-credentials", "tokenUrl": "https://login.example/tenant/oauth2/v2.0/token", "clientId": "client-id",
				"clientSecret": secretMarker, "clientAuthentication": "body", "scopes": []string{"https://graph.example/.default"}, "tokenParams": map[string]string{"resource": "api://x"}}},
		map[string]any{"name": "Assertion", "baseUrl": "https://graph.example/v1.0",
			"auth": map[string]any{"mode": "oauth2-client-credentials", "tokenUrl": "https://login.example/token", "clientId": "client-id",
				"clientAuthentication": "private_key_jwt", "clientCertificate": certificate, "clientPrivateKey": markedKey, "sendX5t": true}},
		map[string]any{"name": "Mutual TLS", "baseUrl": "https://api.example", "caBundle": certificate,
			"auth": map[string]any{"mode": "none", "tlsClientCertificate": certificate, "tlsClientKey": markedKey}},
		map[string]any{"name": "Wrong field", "baseUrl": "https://api.example", "auth": map[string]any{"mode": "basic", "username": "u", "password": secretMarker, "token": secretMarker}},
		map[string]any{"name": "Old expiry", "baseUrl": "https://api.example", "auth": map[string]any{"mode": "bearer", "token": secretMarker, "secretExpiresAt": "0000-01-01T00:00:00+01:00"}},
		map[string]any{"name": "Bad expiry", "baseUrl": "https://api.example", "auth": map[string]any{"mode": "bearer", "token": secretMarker, "secretExpiresAt": "31/01/2027"}},
		map[string]any{"name": "Control", "baseUrl": "https://api.example", "auth": map[string]any{"mode": "bearer", "token": secretMarker + "\n"}},
		map[string]any{"name": "Typo", "baseUrl": "https://api.example", "auth": map[string]any{"mode": "bearer", "Token": secretMarker, "tokn": "x"}},
		map[string]any{"name": "Read-only fields", "baseUrl": "https://api.example", "health": map[string]any{"status": "healthy"}, "createdAt": "2026-01-01T00:00:00Z",
			"auth": map[string]any{"mode": "bearer", "token": secretMarker, "tokenSet": false}},
	}
	for _, seed := range seeds {
		body, err := json.Marshal(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	for _, raw := range []string{
		``, `null`, `[]`, `"x"`, `{`, `{"name": 1}`, `{"auth": {"password": 7}}`, `{"name": "a"} {"name": "b"}`,
		`{"name": "x", "auth": {"mode": "bearer", "token": "` + secretMarker + `"}, "timeoutSeconds": 1e99}`,
	} {
		f.Add([]byte(raw))
	}

	fieldNames := append(jsonFieldNames(reflect.TypeFor[httpapi.DatasourceBody](), ""), "request body", "field")

	f.Fuzz(func(t *testing.T, body []byte) {
		store := &datasourceStore{}
		api := httpapi.New(httpapi.Options{
			Store:            store,
			ValidateAuthFunc: credential.Validate,
			AdminTokenHash:   sha256.Sum256([]byte(adminToken)),
			Now:              func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) },
		})
		inSecrets, elsewhere := fuzzcheck.CountMarker(body, secretMarker, isSecretMember)
		secretOnly := inSecrets > 0 && elsewhere == 0

		created := send(api, "POST", "/api/v1/datasources", body)
		switch created.Code {
		case http.StatusBadRequest:
			checkError(t, created.Body.Bytes(), fieldNames, secretOnly)
			return
		case http.StatusCreated:
		default:
			t.Fatalf("POST returned status %d, want 201 or 400: %s", created.Code, created.Body)
		}

		shown := created.Body.Bytes()
		if secretOnly && bytes.Contains(shown, []byte(secretMarker)) {
			t.Fatalf("the API shows a secret: %s", shown)
		}
		saved := store.datasource

		// The edit form sends the datasource back as it was shown, with the
		// secret fields empty.
		updated := send(api, "PUT", "/api/v1/datasources/"+saved.ID, shown)
		if updated.Code != http.StatusOK {
			t.Fatalf("PUT of the datasource as shown %s returned status %d: %s", shown, updated.Code, updated.Body)
		}
		if diff := cmp.Diff(store.datasource, saved, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(fieldlink.Datasource{}, "UpdatedAt")); diff != "" {
			t.Errorf("PUT of the datasource as shown %s changed it (-got +want):\n%s", shown, diff)
		}
	})
}

// send serves one request with the admin token.
func send(api http.Handler, method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

// isSecretMember reports whether a JSON path of a datasource body leads to
// a secret field. encoding/json matches member names ignoring case.
func isSecretMember(path []string) bool {
	if len(path) != 2 || !strings.EqualFold(path[0], "auth") {
		return false
	}
	for name := range new(fieldlink.Auth).SecretFields() {
		if strings.EqualFold(path[1], name) {
			return true
		}
	}
	return false
}

// checkError checks that a 400 response is an invalid-input error whose
// message starts with one of fields and, when checkMarker is set, does not
// contain the secret marker.
func checkError(t *testing.T, body []byte, fields []string, checkMarker bool) {
	t.Helper()

	var response httpapi.ErrorBody
	if err := json.Unmarshal(body, &response); err != nil {
		t.Fatalf("decode error response %s: %v", body, err)
	}
	if response.Error.Code != fieldlink.EInvalid {
		t.Errorf("error code %q, want %q: %s", response.Error.Code, fieldlink.EInvalid, body)
	}
	if !fuzzcheck.StartsWithField(response.Error.Message, fields) {
		t.Errorf("error %q does not start with a field name", response.Error.Message)
	}
	if checkMarker && strings.Contains(response.Error.Message, secretMarker) {
		t.Errorf("error %q contains a secret", response.Error.Message)
	}
}

// jsonFieldNames returns the JSON names of the fields of a struct type,
// and of the fields of its struct fields after their name and a dot.
func jsonFieldNames(typ reflect.Type, prefix string) []string {
	var names []string
	for field := range typ.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		names = append(names, prefix+name)
		if field.Type.Kind() == reflect.Struct && field.Type != reflect.TypeFor[time.Time]() {
			names = append(names, jsonFieldNames(field.Type, prefix+name+".")...)
		}
	}
	return names
}

// datasourceStore keeps the one datasource that a fuzzed request creates.
// The API calls no other method of httpapi.Store on these routes, so the
// embedded interface stays nil.
type datasourceStore struct {
	httpapi.Store
	datasource fieldlink.Datasource
}

func (s *datasourceStore) CreateDatasource(_ context.Context, ds *fieldlink.Datasource) error {
	ds.ID = "ds_fuzz"
	ds.CreatedAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	ds.UpdatedAt = ds.CreatedAt
	s.datasource = *ds
	return nil
}

func (s *datasourceStore) FindDatasource(_ context.Context, id string) (fieldlink.Datasource, error) {
	if id != s.datasource.ID {
		return fieldlink.Datasource{}, fieldlink.Errorf(fieldlink.ENotFound, "datasource %q not found", id)
	}
	return s.datasource, nil
}

func (s *datasourceStore) UpdateDatasource(_ context.Context, ds *fieldlink.Datasource) error {
	ds.UpdatedAt = time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	s.datasource = *ds
	return nil
}

// keyPair returns a self-signed certificate valid for ten years and its
// private key, both in PEM form.
func keyPair(f *testing.F) (certificate, privateKey string) {
	f.Helper()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fieldlink fuzz"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	privateKey = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certificate, privateKey
}
