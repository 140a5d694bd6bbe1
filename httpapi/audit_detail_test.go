package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/auth"
)

func TestAuditDetailsNameChangedSecrets(t *testing.T) {
	a := newAPI(t)
	secrets := []string{"MARKER-secret-one-4c1d", "MARKER-secret-two-8e2f", "MARKER-secret-three-1a9b"}

	// change calls the API and fails the test unless the call succeeded.
	change := func(method, path string, body any, wantStatus int) response {
		t.Helper()
		r := a.call(method, path, adminToken, body)
		if r.status != wantStatus {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, wantStatus, r.body)
		}
		return r
	}

	ds := decodeBody[DatasourceBody](t, change("POST", "/api/v1/datasources", graphBody(secrets[0]), http.StatusCreated))
	dsPath := "/api/v1/datasources/" + ds.ID
	change("PUT", dsPath, graphBody(secrets[1]), http.StatusOK)
	change("PUT", dsPath, graphBody(""), http.StatusOK)
	renamed := graphBody(secrets[2])
	renamed.Name = "Graph v2"
	change("PUT", dsPath, renamed, http.StatusOK)
	renamed.Auth.ClientSecret = ""
	renamed.TestPath = "/users?$top=2"
	change("PUT", dsPath, renamed, http.StatusOK)

	basic := DatasourceBody{Name: "CMDB", BaseURL: "http://127.0.0.1:9/api", Auth: AuthBody{Mode: "basic", Username: "svc", Password: secrets[0]}}
	cmdb := decodeBody[DatasourceBody](t, change("POST", "/api/v1/datasources", basic, http.StatusCreated))
	basic.Auth.Password = secrets[1]
	change("PUT", "/api/v1/datasources/"+cmdb.ID, basic, http.StatusOK)
	change("DELETE", "/api/v1/datasources/"+cmdb.ID, nil, http.StatusNoContent)

	hook := hookSetup(t, a)
	rotated := decodeBody[HookBody](t, change("POST", "/api/v1/hooks/"+hook.ID+"/secret", nil, http.StatusOK))
	first := decodeBody[HookBody](t, change("POST", "/api/v1/hooks/"+hook.ID+"/automation-token", nil, http.StatusCreated))
	second := decodeBody[HookBody](t, change("POST", "/api/v1/hooks/"+hook.ID+"/automation-token", nil, http.StatusCreated))
	change("DELETE", "/api/v1/hooks/"+hook.ID+"/automation-token", nil, http.StatusNoContent)

	token := decodeBody[CreatedToken](t, change("POST", "/api/v1/tokens", CreateTokenRequest{Name: "ci", Scope: auth.ScopeReadOnly}, http.StatusCreated))
	change("DELETE", "/api/v1/tokens/"+token.ID, nil, http.StatusNoContent)

	r := a.call("GET", "/api/v1/audit?limit=100", adminToken, nil)
	got := decodeBody[struct{ Entries []auth.AuditEntry }](t, r)
	var details []string
	for i := len(got.Entries) - 1; i >= 0; i-- {
		if e := got.Entries[i]; e.Actor == auth.ActorAdminToken {
			details = append(details, e.Action+": "+e.Detail)
		}
	}
	want := []string{
		`datasource.create: created datasource "Microsoft Graph"`,
		`datasource.update: rotated the client secret of datasource "Microsoft Graph"`,
		`datasource.update: saved datasource "Microsoft Graph" without changes`,
		`datasource.update: updated datasource "Graph v2" and its secrets: rotated the client secret`,
		`datasource.update: updated datasource "Graph v2"`,
		`datasource.create: created datasource "CMDB"`,
		`datasource.update: rotated the password of datasource "CMDB"`,
		`datasource.delete: deleted datasource "CMDB"`,
		// hookSetup creates the hook's Jira datasource first.
		`datasource.create: created datasource "Jira"`,
		`hook.create: created hook "IT Help"`,
		`hook.secret.rotate: rotated the secret of hook "IT Help"`,
		`hook.automation-token.create: created the automation token of hook "IT Help"`,
		`hook.automation-token.create: rotated the automation token of hook "IT Help"`,
		`hook.automation-token.delete: removed the automation token of hook "IT Help"`,
		`token.create: created API token "ci"`,
		`token.revoke: revoked API token "ci"`,
	}
	if strings.Join(details, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit details:\n%s\nwant:\n%s", strings.Join(details, "\n"), strings.Join(want, "\n"))
	}

	leaked := append(secrets, hook.Secret, rotated.Secret, first.AutomationToken, second.AutomationToken, token.Secret)
	for _, secret := range leaked {
		if secret == "" {
			t.Fatal("a secret to look for is empty, so the check below would pass vacuously")
		}
		if strings.Contains(string(r.body), secret) {
			t.Errorf("GET /api/v1/audit contains a secret value: %s", r.body)
		}
	}
}
