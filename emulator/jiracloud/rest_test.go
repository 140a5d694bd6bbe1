package jiracloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
)

const (
	apiEmail = "fieldlink@fabrikam.example"
	apiToken = "emulator-api-token"
)

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path, email, token, body string) response {
	t.Helper()

	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if email != "" {
		req.SetBasicAuth(email, token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func get(t *testing.T, srv *httptest.Server, path, email, token string) response {
	t.Helper()
	return do(t, srv, http.MethodGet, path, email, token, "")
}

func put(t *testing.T, srv *httptest.Server, path, body string) response {
	t.Helper()
	return do(t, srv, http.MethodPut, path, apiEmail, apiToken, body)
}

// newSite returns an emulator with options on both select fields and one
// issue, ITH-1.
func newSite(t *testing.T) (*jiracloud.Server, *httptest.Server) {
	t.Helper()

	emu, srv, _ := newEmulator(t)
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk", "Paris IT")
	emu.AddOptions(jiracloud.FieldLocationQueue, "Paris", "Lyon")
	if _, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Laptop"); err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	return emu, srv
}

func TestAuthentication(t *testing.T) {
	_, srv := newSite(t)

	tests := []struct {
		name   string
		path   string
		email  string
		token  string
		status int
	}{
		{"issue with token", "/rest/api/3/issue/ITH-1", apiEmail, apiToken, http.StatusOK},
		{"issue without credentials", "/rest/api/3/issue/ITH-1", "", "", http.StatusUnauthorized},
		{"issue with wrong token", "/rest/api/3/issue/ITH-1", apiEmail, "wrong", http.StatusUnauthorized},
		{"issue with unknown email", "/rest/api/3/issue/ITH-1", "someone@fabrikam.example", apiToken, http.StatusUnauthorized},
		{"myself without credentials", "/rest/api/3/myself", "", "", http.StatusUnauthorized},
		{"server info without credentials", "/rest/api/3/serverInfo", "", "", http.StatusOK},
		{"server info with wrong token", "/rest/api/3/serverInfo", apiEmail, "wrong", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, srv, tt.path, tt.email, tt.token)
			if resp.status != tt.status {
				t.Errorf("status = %d, want %d (body %q)", resp.status, tt.status, resp.body)
			}
			if resp.status == http.StatusUnauthorized && strings.Contains(resp.body, apiToken) {
				t.Errorf("401 body %q contains the token", resp.body)
			}
		})
	}
}

func TestGetIssue(t *testing.T) {
	_, srv := newSite(t)

	for _, ref := range []string{"ITH-1", "ith-1", "10001"} {
		resp := get(t, srv, "/rest/api/3/issue/"+ref, apiEmail, apiToken)
		if resp.status != http.StatusOK {
			t.Fatalf("GET issue %s status = %d, want 200", ref, resp.status)
		}

		var issue struct {
			ID, Key, Self string
			Fields        map[string]any
		}
		if err := json.Unmarshal([]byte(resp.body), &issue); err != nil {
			t.Fatal(err)
		}
		if issue.Key != "ITH-1" || issue.ID != "10001" || issue.Self != srv.URL+"/rest/api/3/issue/10001" {
			t.Errorf("GET issue %s = key %q, id %q, self %q", ref, issue.Key, issue.ID, issue.Self)
		}
		if issue.Fields["summary"] != "Laptop" {
			t.Errorf("GET issue %s summary = %v, want Laptop", ref, issue.Fields["summary"])
		}
	}
}

func TestGetIssueNotFound(t *testing.T) {
	_, srv := newSite(t)

	for _, path := range []string{"/rest/api/3/issue/ITH-404", "/rest/api/3/issue/ITH-404/editmeta"} {
		resp := get(t, srv, path, apiEmail, apiToken)
		if resp.status != http.StatusNotFound {
			t.Errorf("GET %s status = %d, want 404", path, resp.status)
		}
		want := `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`
		if resp.body != want {
			t.Errorf("GET %s body = %s, want %s", path, resp.body, want)
		}
	}
}

func TestEditMeta(t *testing.T) {
	_, srv := newSite(t)

	resp := get(t, srv, "/rest/api/3/issue/ITH-1/editmeta", apiEmail, apiToken)
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.status)
	}

	var meta struct {
		Fields map[string]struct {
			Name          string
			Schema        map[string]any
			AllowedValues []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(resp.body), &meta); err != nil {
		t.Fatal(err)
	}

	group := meta.Fields[jiracloud.FieldSupportGroup]
	if group.Name != "Support group" || group.Schema["type"] != "option" {
		t.Errorf("Support group meta = %+v", group)
	}
	var values []string
	for _, v := range group.AllowedValues {
		values = append(values, v["value"].(string))
	}
	if diff := cmp.Diff(values, []string{"Service desk", "Paris IT"}); diff != "" {
		t.Errorf("Support group options (-got +want):\n%s", diff)
	}
	if office := meta.Fields[jiracloud.FieldReporterOffice]; office.Name != "Reporter office" || office.Schema["type"] != "string" {
		t.Errorf("Reporter office meta = %+v", office)
	}
	if _, ok := meta.Fields["status"]; ok {
		t.Error("editmeta lists status, which is not on the edit screen")
	}
}

func TestEditIssueValidation(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		errors map[string]string
	}{
		{
			name:   "unknown field",
			body:   `{"fields":{"customfield_19999":"x"}}`,
			errors: map[string]string{"customfield_19999": "Field 'customfield_19999' cannot be set. It is not on the appropriate screen, or unknown."},
		},
		{
			name:   "field not on the screen",
			body:   `{"fields":{"status":{"name":"Done"}}}`,
			errors: map[string]string{"status": "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."},
		},
		{
			name:   "option value not allowed",
			body:   `{"fields":{"customfield_10050":{"value":"Lyon IT"}}}`,
			errors: map[string]string{"customfield_10050": "Option value 'Lyon IT' is not valid"},
		},
		{
			name:   "option id not allowed",
			body:   `{"fields":{"customfield_10050":{"id":"999"}}}`,
			errors: map[string]string{"customfield_10050": "Option id '999' is not valid"},
		},
		{
			name:   "bare string for a select",
			body:   `{"fields":{"customfield_10050":"Paris IT"}}`,
			errors: map[string]string{"customfield_10050": "Could not find valid 'id' or 'value' in the Parent Option object."},
		},
		{
			name:   "number for a text field",
			body:   `{"fields":{"customfield_10052":42}}`,
			errors: map[string]string{"customfield_10052": "Operation value must be a string"},
		},
		{
			name:   "text too long",
			body:   `{"fields":{"customfield_10052":"` + strings.Repeat("x", 256) + `"}}`,
			errors: map[string]string{"customfield_10052": "The entered text is too long. It exceeds the allowed limit of 255 characters."},
		},
		{
			name:   "empty summary",
			body:   `{"fields":{"summary":""}}`,
			errors: map[string]string{"summary": "You must specify a summary of the issue."},
		},
		{
			name: "one bad field among good ones",
			body: `{"fields":{"customfield_10052":"Paris","customfield_10051":{"value":"Nice"}}}`,
			errors: map[string]string{
				"customfield_10051": "Option value 'Nice' is not valid",
			},
		},
		{
			name:   "field in fields and update",
			body:   `{"fields":{"customfield_10052":"Paris"},"update":{"customfield_10052":[{"set":"Lyon"}]}}`,
			errors: map[string]string{"customfield_10052": "Field 'customfield_10052' cannot be in both 'fields' and 'update'."},
		},
		{
			name:   "unsupported update operation",
			body:   `{"update":{"customfield_10052":[{"add":"Paris"}]}}`,
			errors: map[string]string{"customfield_10052": "Field 'customfield_10052' does not support operation 'add'."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, srv := newSite(t)
			before, _ := emu.Issue("ITH-1")

			resp := put(t, srv, "/rest/api/3/issue/ITH-1", tt.body)
			if resp.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %s)", resp.status, resp.body)
			}

			var got struct {
				ErrorMessages []string
				Errors        map[string]string
			}
			if err := json.Unmarshal([]byte(resp.body), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got.Errors, tt.errors); diff != "" {
				t.Errorf("errors (-got +want):\n%s", diff)
			}
			if len(got.ErrorMessages) != 0 {
				t.Errorf("errorMessages = %q, want none", got.ErrorMessages)
			}

			after, _ := emu.Issue("ITH-1")
			if diff := cmp.Diff(after, before); diff != "" {
				t.Errorf("a rejected edit changed the issue (-got +want):\n%s", diff)
			}
			if edits := emu.Edits("ITH-1"); len(edits) != 0 {
				t.Errorf("Edits = %v, want none", edits)
			}
		})
	}
}

func TestEditIssueInvalidPayload(t *testing.T) {
	_, srv := newSite(t)

	for _, body := range []string{`{"fields":`, `[]`, `{"fields":"x"}`} {
		resp := put(t, srv, "/rest/api/3/issue/ITH-1", body)
		want := `{"errorMessages":["Invalid request payload. Refer to the REST API documentation and try again."],"errors":{}}`
		if resp.status != http.StatusBadRequest || resp.body != want {
			t.Errorf("PUT %s = %d %s, want 400 %s", body, resp.status, resp.body, want)
		}
	}
}

func TestEditIssueApplies(t *testing.T) {
	emu, srv := newSite(t)

	steps := []string{
		`{"fields":{"customfield_10050":{"value":"Paris IT"},"customfield_10051":{"id":"10103"},"customfield_10052":"Paris"}}`,
		`{"update":{"labels":[{"add":"vip"},{"add":"onsite"},{"remove":"vip"}],"summary":[{"set":"Laptop does not boot"}]}}`,
		`{"fields":{"customfield_10050":null}}`,
	}
	for _, body := range steps {
		if resp := put(t, srv, "/rest/api/3/issue/ITH-1", body); resp.status != http.StatusNoContent || resp.body != "" {
			t.Fatalf("PUT %s = %d %q, want 204 with no body", body, resp.status, resp.body)
		}
	}

	issue, ok := emu.Issue("ITH-1")
	if !ok {
		t.Fatal("Issue(ITH-1) not found")
	}
	if issue[jiracloud.FieldSupportGroup] != nil {
		t.Errorf("Support group = %v, want null after clearing it", issue[jiracloud.FieldSupportGroup])
	}
	queue, _ := issue[jiracloud.FieldLocationQueue].(map[string]any)
	if queue["value"] != "Lyon" || queue["id"] != "10103" {
		t.Errorf("Location queue = %v, want Lyon with id 10103", issue[jiracloud.FieldLocationQueue])
	}
	if issue[jiracloud.FieldReporterOffice] != "Paris" {
		t.Errorf("Reporter office = %v, want Paris", issue[jiracloud.FieldReporterOffice])
	}
	if issue["summary"] != "Laptop does not boot" {
		t.Errorf("summary = %v, want Laptop does not boot", issue["summary"])
	}
	if diff := cmp.Diff(issue["labels"], []string{"onsite"}); diff != "" {
		t.Errorf("labels (-got +want):\n%s", diff)
	}

	edits := emu.Edits("ITH-1")
	if len(edits) != 3 {
		t.Fatalf("Edits = %d, want 3", len(edits))
	}
	if string(edits[0][jiracloud.FieldReporterOffice]) != `"Paris"` || len(edits[1]) != 0 || string(edits[2][jiracloud.FieldSupportGroup]) != "null" {
		t.Errorf("Edits = %v, want each request's fields in order", edits)
	}
}

func TestEditUnknownIssue(t *testing.T) {
	_, srv := newSite(t)

	resp := put(t, srv, "/rest/api/3/issue/ITH-404", `{"fields":{"customfield_10052":"Paris"}}`)
	if resp.status != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.status)
	}
}

func TestAddOptions(t *testing.T) {
	emu, srv := newSite(t)
	emu.AddOptions(jiracloud.FieldSupportGroup, "Paris IT", "Lyon IT")
	emu.AddOptions(jiracloud.FieldReporterOffice, "ignored")
	emu.AddOptions("customfield_19999", "ignored")

	if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields":{"customfield_10050":{"value":"Lyon IT"}}}`); resp.status != http.StatusNoContent {
		t.Errorf("PUT with a newly added option = %d %s, want 204", resp.status, resp.body)
	}

	resp := get(t, srv, "/rest/api/3/issue/ITH-1/editmeta", apiEmail, apiToken)
	if n := strings.Count(resp.body, `"value":"Paris IT"`); n != 1 {
		t.Errorf("editmeta lists Paris IT %d times, want once", n)
	}
	if strings.Contains(resp.body, "ignored") {
		t.Error("editmeta lists an option added to a field that is not a select")
	}
}

func TestMyself(t *testing.T) {
	_, srv := newSite(t)

	resp := get(t, srv, "/rest/api/3/myself", apiEmail, apiToken)
	var u map[string]any
	if err := json.Unmarshal([]byte(resp.body), &u); err != nil {
		t.Fatal(err)
	}
	if u["emailAddress"] != apiEmail || u["displayName"] != "fieldlink" || u["accountType"] != "atlassian" {
		t.Errorf("myself = %v", u)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	emu := jiracloud.New(jiracloud.Options{
		APIUsers: map[string]string{apiEmail: apiToken},
		Logger:   slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	emu.RegisterWebhook(hook.URL, hookSecret)

	if _, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Laptop"); err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	get(t, srv, "/rest/api/3/issue/ITH-1", apiEmail, "wrong-token")
	put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields":{"customfield_10052":"Paris"}}`)
	put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields":`)

	if logs.Len() == 0 {
		t.Fatal("no log records, want one per issue created, edit and delivery")
	}
	for _, secret := range []string{apiToken, "wrong-token", hookSecret} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}
