package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// automationBody returns the fixture that Jira Automation's "Send web
// request" action sends with "Issue data (Jira format)".
func automationBody(t *testing.T) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "automation_jira_format.json"))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// createToken creates or rotates the item's lookup token.
func (g *graphAPI) createToken(itemID string) LookupTokenBody {
	g.t.Helper()
	r := g.call("POST", "/api/v1/items/"+itemID+"/lookup-token", adminToken, nil)
	if r.status != http.StatusCreated {
		g.t.Fatalf("create lookup token: %d %s", r.status, r.body)
	}
	return decodeBody[LookupTokenBody](g.t, r)
}

func TestLookupFromAutomation(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())
	token := g.createToken(it.ID)

	if !strings.HasSuffix(token.URL, "/api/v1/lookup/"+it.ID) {
		t.Errorf("url = %q, want the lookup URL of the item", token.URL)
	}

	for name, ref := range map[string]string{"by id": it.ID, "by name": url.PathEscape(it.Name)} {
		r := g.call("POST", "/api/v1/lookup/"+ref, token.Token, automationBody(t))
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d, want 200: %s", name, r.status, r.body)
			continue
		}
		want := LookupResultBody{
			Values:  []string{"Paris"},
			Text:    "Paris",
			Options: []fieldlink.Option{{Value: "Paris", Label: "Paris"}},
		}
		if diff := cmp.Diff(want, decodeBody[LookupResultBody](t, r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	logs := g.logs.String()
	if !strings.Contains(logs, "item="+it.ID) || !strings.Contains(logs, "issue=ITH-42") {
		t.Errorf("log does not record the lookup with the item id and issue key:\n%s", logs)
	}
	if strings.Contains(logs, token.Token) {
		t.Error("log contains the lookup token")
	}
}

func TestLookupAutomationFormat(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())
	token := g.createToken(it.ID)

	// "Issue data (Automation format)" sends the issue object alone.
	body := []byte(`{"id": 10042, "key": "ITH-42", "fields": {"reporter": {"accountId": "712020:1", "emailAddress": "priya.nair@fabrikam.example"}}}`)
	r := g.call("POST", "/api/v1/lookup/"+it.ID, token.Token, body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.status, r.body)
	}
	if got := decodeBody[LookupResultBody](t, r).Text; got != "London" {
		t.Errorf("text = %q, want London", got)
	}
}

func TestLookupRejectsBadTokens(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())
	other := officeItemBody()
	other.Name = "Other office"
	otherItem := g.createItem(other)
	otherToken := g.createToken(otherItem.ID)

	noToken := g.call("POST", "/api/v1/lookup/"+it.ID, "", automationBody(t))
	if noToken.status != http.StatusUnauthorized {
		t.Errorf("item without a token: status %d, want 401: %s", noToken.status, noToken.body)
	}

	token := g.createToken(it.ID)
	tests := []struct {
		name  string
		ref   string
		token string
	}{
		{"missing token", it.ID, ""},
		{"wrong token", it.ID, "fll_not-the-token"},
		{"admin token", it.ID, adminToken},
		{"other item's token", it.ID, otherToken.Token},
		{"unknown item", "it_missing", token.Token},
	}
	for _, tt := range tests {
		r := g.call("POST", "/api/v1/lookup/"+tt.ref, tt.token, automationBody(t))
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", tt.name, r.status, r.body)
			continue
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate header", tt.name)
		}
		if code := decodeBody[ErrorBody](t, r).Error.Code; code != fieldlink.EUnauthorized {
			t.Errorf("%s: code = %q, want %q", tt.name, code, fieldlink.EUnauthorized)
		}
	}

	admin := g.call("POST", "/api/v1/lookup/"+it.ID, adminToken, automationBody(t))
	if msg := decodeBody[ErrorBody](t, admin).Error.Message; !strings.Contains(msg, "admin token is not accepted") {
		t.Errorf("admin token: message %q does not say the admin token is not accepted", msg)
	}
}

func TestLookupTokenRotation(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())

	first := g.createToken(it.ID)
	second := g.createToken(it.ID)
	if first.Token == second.Token {
		t.Fatal("rotation returned the same token")
	}

	if r := g.call("POST", "/api/v1/lookup/"+it.ID, first.Token, automationBody(t)); r.status != http.StatusUnauthorized {
		t.Errorf("old token after rotation: status %d, want 401", r.status)
	}
	if r := g.call("POST", "/api/v1/lookup/"+it.ID, second.Token, automationBody(t)); r.status != http.StatusOK {
		t.Errorf("new token: status %d, want 200: %s", r.status, r.body)
	}

	got := g.call("GET", "/api/v1/items/"+it.ID, adminToken, nil)
	if !decodeBody[ItemBody](t, got).HasLookupToken {
		t.Error("hasLookupToken = false, want true")
	}
	if bytes.Contains(got.body, []byte(lookupTokenHash(second.Token))) || bytes.Contains(got.body, []byte(second.Token)) {
		t.Errorf("GET item shows the token or its hash: %s", got.body)
	}

	// Saving the item keeps its token.
	update := officeItemBody()
	update.Datasource = g.datasourceID
	update.CacheSeconds = intPtr(60)
	if r := g.call("PUT", "/api/v1/items/"+it.ID, adminToken, update); r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r := g.call("POST", "/api/v1/lookup/"+it.ID, second.Token, automationBody(t)); r.status != http.StatusOK {
		t.Errorf("token after an item update: status %d, want 200: %s", r.status, r.body)
	}

	if r := g.call("DELETE", "/api/v1/items/"+it.ID+"/lookup-token", adminToken, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete token: %d %s", r.status, r.body)
	}
	if r := g.call("POST", "/api/v1/lookup/"+it.ID, second.Token, automationBody(t)); r.status != http.StatusUnauthorized {
		t.Errorf("token after delete: status %d, want 401", r.status)
	}
	if decodeBody[ItemBody](t, g.call("GET", "/api/v1/items/"+it.ID, adminToken, nil)).HasLookupToken {
		t.Error("hasLookupToken = true after delete, want false")
	}
}

func TestLookupRejectsBadBodies(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())
	token := g.createToken(it.ID)

	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "request body is empty"},
		{"not JSON", []byte("issue=ITH-42"), "not a JSON object"},
		{"no issue", []byte(`{"webhookEvent": "jira:issue_created"}`), "no issue object"},
		{"issue without key", []byte(`{"issue": {"fields": {}}}`), "has no key"},
		{"too large", append(append([]byte(`{"issue": {"key": "ITH-1", "fields": {"description": "`), bytes.Repeat([]byte("a"), MaxLookupBodyBytes)...), []byte(`"}}}`)...), "larger than"},
	}
	for _, tt := range tests {
		r := g.call("POST", "/api/v1/lookup/"+it.ID, token.Token, tt.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", tt.name, r.status, r.body)
			continue
		}
		msg := decodeBody[ErrorBody](t, r).Error.Message
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: message %q does not contain %q", tt.name, msg, tt.want)
		}
		if tt.name != "too large" && !strings.Contains(msg, "Issue data (Jira format)") {
			t.Errorf("%s: message %q does not say which body to choose", tt.name, msg)
		}
	}
}

func TestLookupEvaluationFailure(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())
	token := g.createToken(it.ID)

	// Jira hides the reporter's email address.
	body := []byte(`{"issue": {"id": 10043, "key": "ITH-43", "fields": {"reporter": {"accountId": "712020:2", "displayName": "Noah"}}}}`)
	r := g.call("POST", "/api/v1/lookup/"+it.ID, token.Token, body)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422: %s", r.status, r.body)
	}
	if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, "reporter.emailAddress") {
		t.Errorf("message %q does not name the missing value", msg)
	}
	if logs := g.logs.String(); !strings.Contains(logs, "item lookup failed") || !strings.Contains(logs, "item="+it.ID) {
		t.Errorf("log does not record the failed lookup with the item id:\n%s", logs)
	}
}
