package credential

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

// fingerprintDatasource has a value in every field the fingerprint covers.
func fingerprintDatasource() fieldlink.Datasource {
	return fieldlink.Datasource{
		ID: "ds-1", Name: "Graph", BaseURL: "https://graph.example/v1.0",
		TimeoutSeconds: 20, ConnectTimeoutSeconds: 5, CABundle: "ca", AllowLoopback: true,
		UpdatedAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Auth: fieldlink.Auth{
			Mode: fieldlink.AuthOAuth2ClientCredentials, Username: "user", Password: "password", Token: "token",
			APIKeyName: "key", APIKeyValue: "value", APIKeyIn: fieldlink.APIKeyInHeader,
			TokenURL: "https://login.example/token", ClientID: "client", ClientSecret: "secret",
			ClientAuthentication: fieldlink.ClientAuthBody, Scopes: []string{"a", "b"},
			TokenParams:       map[string]string{"audience": "api", "resource": "r"},
			ClientCertificate: "cert", ClientPrivateKey: "private", SendX5T: true,
			TLSClientCertificate: "tls-cert", TLSClientKey: "tls-key",
			SecretExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		},
	}
}

// TestFingerprintCoversEveryAuthField changes each field of fieldlink.Auth
// in turn, found by reflection so that a field added later is checked too.
func TestFingerprintCoversEveryAuthField(t *testing.T) {
	f := newFingerprinter([]byte("key"))
	base := fingerprintDatasource()
	want := f.sum(base)

	authType := reflect.TypeFor[fieldlink.Auth]()
	for i := range authType.NumField() {
		field := authType.Field(i)
		t.Run(field.Name, func(t *testing.T) {
			changed := fingerprintDatasource()
			value := reflect.ValueOf(&changed.Auth).Elem().Field(i)
			changeValue(t, value)

			if bytes.Equal(f.sum(changed), want) {
				t.Errorf("fingerprint unchanged after Auth.%s changed", field.Name)
			}
		})
	}
}

// changeValue sets v to a different value of its type.
func changeValue(t *testing.T, v reflect.Value) {
	t.Helper()

	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
	case v.Kind() == reflect.String:
		v.SetString(v.String() + "-changed")
	case v.Kind() == reflect.Bool:
		v.SetBool(!v.Bool())
	case v.Kind() == reflect.Slice:
		v.Set(reflect.Append(v, reflect.ValueOf("c")))
	case v.Kind() == reflect.Map:
		v.SetMapIndex(reflect.ValueOf("extra"), reflect.ValueOf("x"))
	default:
		t.Fatalf("no change defined for a %s: add one here and cover the field in fingerprinter.sum", v.Type())
	}
}

func TestFingerprintCoversConnectionSettings(t *testing.T) {
	tests := []struct {
		name   string
		change func(ds *fieldlink.Datasource)
	}{
		{"timeout", func(ds *fieldlink.Datasource) { ds.TimeoutSeconds++ }},
		{"connect timeout", func(ds *fieldlink.Datasource) { ds.ConnectTimeoutSeconds++ }},
		{"CA bundle", func(ds *fieldlink.Datasource) { ds.CABundle += "-changed" }},
		{"allow loopback", func(ds *fieldlink.Datasource) { ds.AllowLoopback = !ds.AllowLoopback }},
		{"allow private networks", func(ds *fieldlink.Datasource) { ds.AllowPrivateNetworks = !ds.AllowPrivateNetworks }},
		{"updated at", func(ds *fieldlink.Datasource) { ds.UpdatedAt = ds.UpdatedAt.Add(time.Nanosecond) }},
		{"scopes split differently", func(ds *fieldlink.Datasource) { ds.Auth.Scopes = []string{"ab"} }},
		{"token params split differently", func(ds *fieldlink.Datasource) {
			ds.Auth.TokenParams = map[string]string{"audienceapi": "", "resource": "r"}
		}},
	}
	f := newFingerprinter([]byte("key"))
	want := f.sum(fingerprintDatasource())

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := fingerprintDatasource()
			tt.change(&changed)

			if bytes.Equal(f.sum(changed), want) {
				t.Errorf("fingerprint unchanged after the %s changed", tt.name)
			}
		})
	}
}

func TestFingerprintIgnoresOtherFields(t *testing.T) {
	f := newFingerprinter([]byte("key"))
	want := f.sum(fingerprintDatasource())

	copied := fingerprintDatasource()
	copied.Name = "Graph renamed"
	copied.BaseURL = "https://graph.example/beta"
	copied.Headers = map[string]string{"ConsistencyLevel": "eventual"}
	copied.Auth.Scopes = append([]string(nil), copied.Auth.Scopes...)
	copied.Auth.TokenParams = map[string]string{"resource": "r", "audience": "api"}

	if !bytes.Equal(f.sum(copied), want) {
		t.Error("fingerprint changed with the name, base URL and headers, or with copies of equal scopes and token parameters")
	}
}

func TestFingerprintDependsOnKey(t *testing.T) {
	ds := fingerprintDatasource()

	if bytes.Equal(newFingerprinter([]byte("key-1")).sum(ds), newFingerprinter([]byte("key-2")).sum(ds)) {
		t.Error("fingerprints under two keys are equal, want the key to change them")
	}
}
