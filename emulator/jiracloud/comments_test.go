package jiracloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
)

const adfComment = `{"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
	{"type": "text", "text": "Routed to Paris IT"}, {"type": "hardBreak"}, {"type": "text", "text": "by fieldlink"}]}]}`

func TestAddCommentInternalAndPublic(t *testing.T) {
	emu, srv := newSite(t)

	internal := do(t, srv, http.MethodPost, "/rest/api/3/issue/ITH-1/comment", apiEmail, apiToken,
		`{"body": `+adfComment+`, "properties": [{"key": "sd.public.comment", "value": {"internal": true}}]}`)
	public := do(t, srv, http.MethodPost, "/rest/api/3/issue/10001/comment", apiEmail, apiToken, `{"body": `+adfComment+`}`)

	for name, resp := range map[string]response{"internal": internal, "public": public} {
		if resp.status != http.StatusCreated {
			t.Fatalf("%s comment status = %d, want 201: %s", name, resp.status, resp.body)
		}
	}
	var created struct {
		ID        string
		JSDPublic bool `json:"jsdPublic"`
		Author    struct{ AccountID string }
	}
	if err := json.Unmarshal([]byte(internal.body), &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.JSDPublic || created.Author.AccountID == "" {
		t.Errorf("internal comment response = %+v, want an id, jsdPublic false and an author", created)
	}

	got := emu.Comments("ITH-1")
	if len(got) != 2 {
		t.Fatalf("Comments() = %d comments, want 2", len(got))
	}
	if !got[0].Internal || got[1].Internal {
		t.Errorf("Internal = %v, %v, want true, false", got[0].Internal, got[1].Internal)
	}
	if got[0].Text != "Routed to Paris IT\nby fieldlink" {
		t.Errorf("Text = %q, want the paragraph with its hard break", got[0].Text)
	}

	list := get(t, srv, "/rest/api/3/issue/ITH-1/comment", apiEmail, apiToken)
	var page struct {
		Total    int
		Comments []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(list.body), &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Comments) != 2 || page.Comments[0].ID != created.ID {
		t.Errorf("GET comments = %s, want both comments, oldest first", list.body)
	}
}

func TestAddCommentRejectsBody(t *testing.T) {
	emu, srv := newSite(t)

	tests := []struct {
		name, body string
		status     int
	}{
		{"plain string", `{"body": "Routed"}`, http.StatusBadRequest},
		{"no body", `{}`, http.StatusBadRequest},
		{"empty document", `{"body": {"type": "doc", "version": 1, "content": []}}`, http.StatusBadRequest},
		{"not JSON", `{"body":`, http.StatusBadRequest},
		{"unknown issue", `{"body": ` + adfComment + `}`, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/rest/api/3/issue/ITH-1/comment"
			if tt.status == http.StatusNotFound {
				path = "/rest/api/3/issue/ITH-404/comment"
			}
			resp := do(t, srv, http.MethodPost, path, apiEmail, apiToken, tt.body)
			if resp.status != tt.status {
				t.Errorf("status = %d, want %d: %s", resp.status, tt.status, resp.body)
			}
		})
	}
	if n := len(emu.Comments("ITH-1")); n != 0 {
		t.Errorf("%d comments stored from rejected requests, want 0", n)
	}
}

func TestRequestParticipants(t *testing.T) {
	emu, srv := newSite(t)
	megan := emu.AddUser(jiracloud.Account{Email: "megan.bowen@fabrikam.example", DisplayName: "Megan Bowen"})
	hidden := emu.AddUser(jiracloud.Account{Email: "private@fabrikam.example", EmailHidden: true})
	path := "/rest/servicedeskapi/request/ITH-1/participant"

	resp := do(t, srv, http.MethodPost, path, apiEmail, apiToken, `{"accountIds": ["`+megan+`", "`+hidden+`", "`+megan+`"]}`)
	if resp.status != http.StatusOK {
		t.Fatalf("POST participants status = %d, want 200: %s", resp.status, resp.body)
	}
	if strings.Contains(resp.body, "private@fabrikam.example") {
		t.Errorf("participants response contains a hidden email address: %s", resp.body)
	}
	if diff := cmp.Diff([]string{megan, hidden}, emu.Participants("ITH-1")); diff != "" {
		t.Errorf("Participants() (-want +got):\n%s", diff)
	}

	var page struct {
		Size   int
		Values []struct {
			AccountID    string
			EmailAddress string
		}
	}
	if err := json.Unmarshal([]byte(get(t, srv, path, apiEmail, apiToken).body), &page); err != nil {
		t.Fatal(err)
	}
	if page.Size != 2 || page.Values[0].EmailAddress != "megan.bowen@fabrikam.example" {
		t.Errorf("GET participants = %+v, want both, Megan with her email", page)
	}

	unknown := do(t, srv, http.MethodPost, path, apiEmail, apiToken, `{"accountIds": ["712020:unknown"]}`)
	if unknown.status != http.StatusBadRequest || !strings.Contains(unknown.body, "errorMessage") {
		t.Errorf("unknown account: %d %s, want 400 with Jira Service Management's errorMessage", unknown.status, unknown.body)
	}
	if n := len(emu.Participants("ITH-1")); n != 2 {
		t.Errorf("participants after the rejected request = %d, want 2", n)
	}
	if missing := get(t, srv, "/rest/servicedeskapi/request/ITH-404/participant", apiEmail, apiToken); missing.status != http.StatusNotFound {
		t.Errorf("unknown request status = %d, want 404", missing.status)
	}
}

func TestGetUser(t *testing.T) {
	emu, srv := newSite(t)
	visible := emu.AddUser(jiracloud.Account{Email: "megan.bowen@fabrikam.example"})
	hidden := emu.AddUser(jiracloud.Account{Email: "private@fabrikam.example", EmailHidden: true})

	tests := []struct {
		name      string
		accountID string
		status    int
		email     string
	}{
		{"visible email", visible, http.StatusOK, "megan.bowen@fabrikam.example"},
		{"hidden email", hidden, http.StatusOK, ""},
		{"unknown account", "712020:unknown", http.StatusNotFound, ""},
		{"no account ID", "", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, srv, "/rest/api/3/user?accountId="+url.QueryEscape(tt.accountID), apiEmail, apiToken)
			if resp.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.status, tt.status, resp.body)
			}
			if tt.status != http.StatusOK {
				return
			}
			var u map[string]any
			if err := json.Unmarshal([]byte(resp.body), &u); err != nil {
				t.Fatal(err)
			}
			email, present := u["emailAddress"]
			if tt.email == "" && present {
				t.Errorf("emailAddress = %v, want it left out", email)
			}
			if tt.email != "" && email != tt.email {
				t.Errorf("emailAddress = %v, want %q", email, tt.email)
			}
			if u["accountId"] != tt.accountID {
				t.Errorf("accountId = %v, want %q", u["accountId"], tt.accountID)
			}
		})
	}
}
