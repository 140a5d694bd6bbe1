package fieldlink_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/internal/fuzzcheck"
)

// secretMarker fills every secret field of the fuzzed datasources, and the
// password of a URL, so a test can tell when an error quotes a secret.
const secretMarker = "SECRET-MARKER-7319046528173"

// datasourceFields are the API names of the fields that Validate checks. Its
// error messages start with one of them.
var datasourceFields = []string{
	"name", "auth.mode", "baseUrl", "apiDocumentationUrl", "testPath",
	"timeoutSeconds", "connectTimeoutSeconds", "caBundle", "headers",
}

// urlScheme matches the scheme and "://" at the start of a URL.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// FuzzDatasourceValidate validates datasources built from fuzzed fields,
// with a marker in every secret field. Validate never panics. A rejection is
// an *Error with code EInvalid whose message starts with the field's name
// and never contains the marker, also when the marker is the password of the
// base URL, which Validate must reject. An accepted datasource has timeouts
// within range, headers that net/http can send, one entry per header, and
// survives encoding to JSON and back unchanged.
func FuzzDatasourceValidate(f *testing.F) {
	seeds := []struct {
		name, baseURL, docURL, testPath, caBundle string
		header1, value1, header2, value2          string
		timeout, connectTimeout                   int
	}{
		{"Microsoft Graph", "https://graph.example/v1.0", "https://learn.example/graph", "/organization", "", "ConsistencyLevel", "eventual", "", "", 20, 5},
		{"Jira", "http://127.0.0.1:9", "", "", "", "", "", "", "", 0, 0},
		{"CMDB", "https://cmdb.example/api", "", "/ci?limit=1", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "X-Tenant", "a", "x-tenant", "b", 300, 300},
		{"Creds", "https://svc:" + secretMarker + "@api.example", "", "", "", "", "", "", "", 0, 0},
		{"Creds", "ftp://svc:" + secretMarker + "@api.example/v1", "", "", "", "", "", "", "", 0, 0},
		{"Creds", "svc:" + secretMarker + "@api.example/v1", "", "", "", "", "", "", "", 0, 0},
		{"Creds", "https://svc:" + secretMarker + "@[::1", "", "", "", "", "", "", "", 0, 0},
		{"Docs", "https://api.example", "https://svc:" + secretMarker + "@docs.example:x", "", "", "", "", "", "", 0, 0},
		{"Headers", "https://api.example", "", "", "", "X(Y)", "1", "Host", "api.example", 0, 0},
		{"Headers", "https://api.example", "", "", "", "X-Note", "a\r\nInjected: 1", "authorization", "Bearer " + secretMarker, 0, 0},
		{"Headers", "https://api.example", "", "", "", "X-Note", "tab\tok\x00nul", "X-Caf\xc3\xa9", "\xff", 0, 0},
		{"Bad \xff", "https://api.example/\xff", "", "\xfe", "\xfd", "", "", "", "", -1, 10_000_000_000},
		{" ", "", "", "users", "", "", "", "", "", 301, -5},
		{"Path", "https://api.example", "mailto:a@example.com", "users", "", "", "", "", "", 0, 0},
		{strings.Repeat("n", 201), "//api.example", "", "", "", "", "", "", "", 0, 0},
	}
	for _, s := range seeds {
		f.Add(s.name, s.baseURL, s.docURL, s.testPath, s.caBundle, s.header1, s.value1, s.header2, s.value2, s.timeout, s.connectTimeout)
	}

	f.Fuzz(func(t *testing.T, name, baseURL, docURL, testPath, caBundle, header1, value1, header2, value2 string, timeout, connectTimeout int) {
		ds := fieldlink.Datasource{
			Name:                  name,
			BaseURL:               baseURL,
			APIDocumentationURL:   docURL,
			TestPath:              testPath,
			CABundle:              caBundle,
			TimeoutSeconds:        timeout,
			ConnectTimeoutSeconds: connectTimeout,
			Auth:                  fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc"},
		}
		for _, field := range ds.Auth.SecretFields() {
			*field = secretMarker
		}
		for _, h := range [][2]string{{header1, value1}, {header2, value2}} {
			if h[0] == "" && h[1] == "" {
				continue
			}
			if ds.Headers == nil {
				ds.Headers = map[string]string{}
			}
			ds.Headers[h[0]] = h[1]
		}
		markerInFields := strings.Contains(name+baseURL+docURL+testPath+caBundle+header1+header2, secretMarker)

		err := ds.Validate()
		if err != nil {
			checkValidateError(t, err, !markerInFields)
		} else {
			checkValidDatasource(t, ds)
		}

		// The same base URL with the marker as its password must be rejected
		// without quoting the password.
		scheme := urlScheme.FindString(baseURL)
		if scheme == "" || markerInFields {
			return
		}
		withCredentials := ds
		withCredentials.BaseURL = scheme + "svc:" + secretMarker + "@" + baseURL[len(scheme):]
		err = withCredentials.Validate()
		if err == nil {
			t.Fatalf("Validate() accepted base URL %q, which carries credentials", withCredentials.BaseURL)
		}
		checkValidateError(t, err, true)
	})
}

// checkValidateError checks that err is an *Error with code EInvalid whose
// message starts with a field name and, when checkMarker is set, does not
// contain the secret marker.
func checkValidateError(t *testing.T, err error, checkMarker bool) {
	t.Helper()

	var e *fieldlink.Error
	if !errors.As(err, &e) || e.Code != fieldlink.EInvalid {
		t.Fatalf("Validate() error %T %v, want a *fieldlink.Error with code %q", err, err, fieldlink.EInvalid)
	}
	if !fuzzcheck.StartsWithField(e.Message, datasourceFields) {
		t.Errorf("Validate() error %q does not start with a field name (%s)", e.Message, strings.Join(datasourceFields, ", "))
	}
	if checkMarker && strings.Contains(e.Message, secretMarker) {
		t.Errorf("Validate() error %q contains a secret", e.Message)
	}
}

// checkValidDatasource checks what an accepted datasource promises to the
// code that sends its requests and stores it.
func checkValidDatasource(t *testing.T, ds fieldlink.Datasource) {
	t.Helper()

	maxTimeout := fieldlink.MaxTimeoutSeconds * time.Second
	if timeout := ds.Timeout(); timeout <= 0 || timeout > maxTimeout {
		t.Errorf("accepted timeoutSeconds %d gives timeout %v, want 1s to %v", ds.TimeoutSeconds, timeout, maxTimeout)
	}
	if timeout := ds.ConnectTimeout(); timeout <= 0 || timeout > maxTimeout {
		t.Errorf("accepted connectTimeoutSeconds %d gives connection timeout %v, want 1s to %v", ds.ConnectTimeoutSeconds, timeout, maxTimeout)
	}

	sent := http.Header{}
	for name, value := range ds.Headers {
		if !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			t.Errorf("accepted header %q: %q, which net/http refuses to send", name, value)
		}
		sent.Set(name, value)
	}
	if len(sent) != len(ds.Headers) {
		t.Errorf("accepted headers %q send as %d headers, want %d", ds.Headers, len(sent), len(ds.Headers))
	}

	encoded, err := json.Marshal(ds)
	if err != nil {
		t.Fatalf("encode accepted datasource: %v", err)
	}
	var decoded fieldlink.Datasource
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatalf("decode accepted datasource %s: %v", encoded, err)
	}
	if !reflect.DeepEqual(decoded, ds) {
		t.Errorf("accepted datasource changed on its way through JSON:\n got %#v\nwant %#v", decoded, ds)
	}
}
