package config

import (
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestPlanImportRejectsCredentialsInURLs(t *testing.T) {
	const password = "password-in-the-url-5a9e"
	tests := []struct {
		name   string
		change func(*DatasourceRecord)
		want   string
	}{
		{"base URL", func(r *DatasourceRecord) { r.BaseURL = "https://svc:" + password + "@api.example" },
			`field baseUrl "https://svc:xxxxx@api.example" carries credentials`},
		{"documentation URL", func(r *DatasourceRecord) { r.APIDocumentationURL = "https://svc:" + password + "@docs.example" },
			`field apiDocumentationUrl "https://svc:xxxxx@docs.example" carries credentials`},
		{"token URL", func(r *DatasourceRecord) { r.Auth.TokenURL = "https://client:" + password + "@login.example/token" },
			`field auth.tokenUrl "https://client:xxxxx@login.example/token" carries credentials`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := testDocument()
			tt.change(&doc.Datasources[0])

			_, err := PlanImport(doc, nil)

			if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
				t.Fatalf("PlanImport error = %v, want an invalid document", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}
