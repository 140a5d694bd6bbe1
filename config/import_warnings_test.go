package config

import (
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// warningDocument returns testDocument with its datasource changed to one
// that the REST API accepts: bearer authentication with its token.
func warningDocument() Document {
	doc := testDocument()
	doc.Datasources[0].Auth = AuthRecord{Mode: fieldlink.AuthBearer}
	doc.Datasources[0].Secrets = map[string]string{"token": "MARKER-bearer-5e1a"}
	return doc
}

func TestPlanImportValidDatasourceNoWarning(t *testing.T) {
	plan, err := PlanImport(warningDocument(), nil)
	if err != nil {
		t.Fatal(err)
	}

	if len(plan.Warnings) != 0 {
		t.Errorf("warnings = %q, want none for a datasource the API accepts", plan.Warnings)
	}
}

func TestPlanImportWarnsAboutRejectedDatasource(t *testing.T) {
	doc := warningDocument()
	doc.Datasources[0].Headers = map[string]string{"X-Api-Key": "MARKER-header-7f3c"}

	plan, err := PlanImport(doc, nil)
	if err != nil {
		t.Fatalf("PlanImport = %v, want the datasource imported with a warning", err)
	}

	if len(plan.Records.Datasources) != 1 {
		t.Fatalf("%d datasources planned, want 1", len(plan.Records.Datasources))
	}
	if len(plan.Warnings) != 1 {
		t.Fatalf("warnings = %q, want one", plan.Warnings)
	}
	warning := plan.Warnings[0]
	for _, want := range []string{`datasource "Graph" (ds_graph)`, "would be rejected on its next save", "headers.X-Api-Key carries a credential"} {
		if !strings.Contains(warning, want) {
			t.Errorf("warning %q does not contain %q", warning, want)
		}
	}
	if strings.Contains(warning, "MARKER") {
		t.Errorf("warning %q shows a secret or header value", warning)
	}
}

func TestPlanImportChecksAuthOnlyWithSecrets(t *testing.T) {
	doc := warningDocument()
	doc.OmitSecrets()

	plan, err := PlanImport(doc, nil)
	if err != nil {
		t.Fatal(err)
	}

	if len(plan.Warnings) != 0 {
		t.Errorf("warnings = %q, want none: without secrets the authentication is not checked", plan.Warnings)
	}
}

func TestPlanImportWarnsAboutInvalidAuth(t *testing.T) {
	doc := warningDocument()
	doc.Datasources[0].Secrets = map[string]string{}

	plan, err := PlanImport(doc, nil)
	if err != nil {
		t.Fatal(err)
	}

	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "auth.token") {
		t.Errorf("warnings = %q, want one naming auth.token", plan.Warnings)
	}
}
