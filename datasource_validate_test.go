package fieldlink_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// validDatasource returns a datasource that Validate accepts.
func validDatasource() fieldlink.Datasource {
	return fieldlink.Datasource{
		Name:    "Microsoft Graph",
		BaseURL: "https://graph.example/v1.0",
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthNone},
	}
}

func TestDatasourceValidateAccepts(t *testing.T) {
	ds := validDatasource()
	ds.APIDocumentationURL = "https://docs.example/graph"
	ds.TestPath = "/users?$top=1"
	ds.TimeoutSeconds = fieldlink.MaxTimeoutSeconds
	ds.ConnectTimeoutSeconds = fieldlink.MaxTimeoutSeconds
	ds.Headers = map[string]string{"ConsistencyLevel": "eventual", "X-Note": "tab\tand café"}

	if err := ds.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
}

func TestDatasourceValidateRejects(t *testing.T) {
	tests := []struct {
		name    string
		change  func(ds *fieldlink.Datasource)
		wantErr string
	}{
		{"name missing", func(ds *fieldlink.Datasource) { ds.Name = " " }, "name is missing"},
		{"name not UTF-8", func(ds *fieldlink.Datasource) { ds.Name = "Graph \xff" }, "name is not valid UTF-8"},
		{"base URL not UTF-8", func(ds *fieldlink.Datasource) { ds.BaseURL = "https://graph.example/\xff" }, "baseUrl is not valid UTF-8"},
		{"base URL with credentials", func(ds *fieldlink.Datasource) { ds.BaseURL = "https://svc:pw@graph.example" }, "baseUrl must not carry credentials"},
		{"test path not UTF-8", func(ds *fieldlink.Datasource) { ds.TestPath = "/\xff" }, "testPath is not valid UTF-8"},
		{"timeout too long", func(ds *fieldlink.Datasource) { ds.TimeoutSeconds = 301 }, "timeoutSeconds 301 is out of range"},
		{"connect timeout negative", func(ds *fieldlink.Datasource) { ds.ConnectTimeoutSeconds = -1 }, "connectTimeoutSeconds -1 is out of range: use 1 to 300, or 0 for the default of 10"},
		{"connect timeout too long", func(ds *fieldlink.Datasource) { ds.ConnectTimeoutSeconds = 10_000_000_000 }, "connectTimeoutSeconds 10000000000 is out of range"},
		{"CA bundle not UTF-8", func(ds *fieldlink.Datasource) { ds.CABundle = "-----BEGIN \xff" }, "caBundle is not valid UTF-8"},
		{"header name with parenthesis", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X(Y)": "1"} }, `headers: "X(Y)" is not a valid header name`},
		{"header name not ASCII", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X-Café": "1"} }, `headers: "X-Café" is not a valid header name`},
		{"header names differ in case", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X-Tenant": "a", "x-tenant": "b"} }, "headers.X-Tenant and headers.x-tenant name the same header"},
		{"header value with line break", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X-Note": "a\nb"} }, "headers.X-Note contains a line break"},
		{"header value with NUL", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X-Note": "a\x00b"} }, "headers.X-Note contains a control character"},
		{"header value not UTF-8", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"X-Note": "caf\xe9"} }, "headers.X-Note is not valid UTF-8"},
		{"forbidden header", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"host": "x"} }, "headers.host cannot be set"},
		{"API key header", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"x-api-key": "k-1"} }, "headers.x-api-key carries a credential"},
		{"subscription key header", func(ds *fieldlink.Datasource) { ds.Headers = map[string]string{"Ocp-Apim-Subscription-Key": "k-1"} }, "choose auth mode api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := validDatasource()
			tt.change(&ds)

			err := ds.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			var e *fieldlink.Error
			if !errors.As(err, &e) || e.Code != fieldlink.EInvalid {
				t.Errorf("error %T %v, want a *fieldlink.Error with code %q", err, err, fieldlink.EInvalid)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDatasourceValidateHidesURLCredentials(t *testing.T) {
	tests := []struct {
		baseURL string
		want    string
	}{
		{"ftp://svc:hunter2@files.example/v1", `"ftp://REDACTED@files.example/v1"`},
		{"https://svc:hunter2@[::1", `"https://REDACTED@[::1"`},
		{"svc:hunter2@graph.example/v1", `"REDACTED@graph.example/v1"`},
		{"https://a@svc:hunter2@graph.example:x/", `"https://REDACTED@graph.example:x/"`},
	}
	for _, tt := range tests {
		t.Run(tt.baseURL, func(t *testing.T) {
			ds := validDatasource()
			ds.BaseURL = tt.baseURL

			err := ds.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the URL's password", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to quote the URL as %s", err, tt.want)
			}
		})
	}
}

func TestDatasourceValidateReportsFirstHeaderByName(t *testing.T) {
	ds := validDatasource()
	ds.Headers = map[string]string{"X-B": "a\nb", "X-A": "a\nb", "X-C": "a\nb"}

	for range 20 {
		err := ds.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "headers.X-A ") {
			t.Fatalf("Validate() = %v, want the error about headers.X-A, the first by name", err)
		}
	}
}
