package httpapi

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/internal/fuzzcheck"
)

// secretMarker is written into the secret fields of the fuzzed request
// bodies, so the test can tell when a response or an error quotes a secret.
const secretMarker = "SECRET-MARKER-7319046528173"

// FuzzReadDatasource reads any request body as POST /api/v1/datasources
// does, with the server's auth validation. It never panics. A rejection is
// an invalid-input error whose message starts with the field it is about
// (or "request body"), and never contains the marker when the marker occurs
// only in secret fields. An accepted datasource is shown without its
// secrets, and sending that response back as an update, as the edit form
// does, is accepted and changes nothing.
func FuzzReadDatasource(f *testing.F) {
	certificate, privateKey := fuzzKeyPair(f)
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

	s := New(Options{ValidateAuthFunc: credential.Validate})
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, body []byte) {
		inSecrets, elsewhere := fuzzcheck.CountMarker(body, secretMarker, isSecretMember)
		secretOnly := inSecrets > 0 && elsewhere == 0

		ds, err := s.readDatasource(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/v1/datasources", bytes.NewReader(body)), nil)
		if err != nil {
			checkRequestError(t, err, secretOnly)
			return
		}

		shown, err := json.Marshal(datasourceToBody(ds, now))
		if err != nil {
			t.Fatalf("encode the datasource as the API shows it: %v", err)
		}
		if secretOnly && bytes.Contains(shown, []byte(secretMarker)) {
			t.Fatalf("the API shows a secret: %s", shown)
		}

		// The edit form sends the datasource back as it was shown, with the
		// secret fields empty.
		edited, err := s.readDatasource(httptest.NewRecorder(), httptest.NewRequest("PUT", "/api/v1/datasources/x", bytes.NewReader(shown)), &ds)
		if err != nil {
			t.Fatalf("update with the datasource as shown %s failed: %v", shown, err)
		}
		if diff := cmp.Diff(edited, ds, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("update with the datasource as shown %s changed it (-got +want):\n%s", shown, diff)
		}
	})
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

// checkRequestError checks that err is an invalid-input error that starts
// with a field of DatasourceBody or "request body", and, when checkMarker is
// set, that it does not contain the secret marker.
func checkRequestError(t *testing.T, err error, checkMarker bool) {
	t.Helper()

	if code := fieldlink.ErrorCode(err); code != fieldlink.EInvalid {
		t.Fatalf("error %T %v has code %q, want %q", err, err, code, fieldlink.EInvalid)
	}
	message := fieldlink.ErrorMessage(err)
	fields := append(jsonFieldNames(reflect.TypeFor[DatasourceBody](), ""), "request body", "field")
	if !fuzzcheck.StartsWithField(message, fields) {
		t.Errorf("error %q does not start with a field name", message)
	}
	if checkMarker && strings.Contains(message, secretMarker) {
		t.Errorf("error %q contains a secret", message)
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

// fuzzKeyPair returns a self-signed certificate valid for ten years and its
// private key, both in PEM form.
func fuzzKeyPair(f *testing.F) (certificate, privateKey string) {
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
