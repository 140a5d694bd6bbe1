package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/store"
)

const automationToken = "flh_automation-token"

// hookSettingsStore is the real store with the intake settings of every
// hook it returns replaced by configure.
type hookSettingsStore struct {
	*store.DB
	configure func(*fieldlink.Hook)
}

func (s hookSettingsStore) FindHook(ctx context.Context, id string) (fieldlink.Hook, error) {
	h, err := s.DB.FindHook(ctx, id)
	if err == nil {
		s.configure(&h)
	}
	return h, err
}

func (s hookSettingsStore) ListHooks(ctx context.Context) ([]fieldlink.Hook, error) {
	hooks, err := s.DB.ListHooks(ctx)
	for i := range hooks {
		s.configure(&hooks[i])
	}
	return hooks, err
}

// newIntakeAPI returns an API whose single hook has the settings configure
// gives it, and that hook.
func newIntakeAPI(t *testing.T, configure func(*fieldlink.Hook)) (*apiSetup, HookBody) {
	t.Helper()
	a := newAPI(t)
	hook := hookSetup(t, a)

	srv := httptest.NewServer(New(Options{
		Store:            hookSettingsStore{DB: a.db, configure: configure},
		Items:            a.items,
		ValidateItemFunc: item.Validate,
		Queue:            a.queue,
		AdminTokenHash:   sha256.Sum256([]byte(adminToken)),
		Logger:           slog.New(slog.NewTextHandler(a.logs, nil)),
	}))
	t.Cleanup(srv.Close)
	a.srv = srv
	return a, hook
}

// withAutomationToken gives the hook the hash of automationToken.
func withAutomationToken(h *fieldlink.Hook) {
	sum := sha256.Sum256([]byte(automationToken))
	h.AutomationTokenHash = hex.EncodeToString(sum[:])
}

// issueBody returns the issue data Automation sends, for an issue of the
// project updated at the time given in Jira's layout.
func issueBody(key, project, updated string) []byte {
	return []byte(`{"issue": {"id": "10042", "key": "` + key + `", "fields": {"updated": "` + updated + `",
		"project": {"key": "` + project + `"},
		"reporter": {"accountId": "712020:priya", "emailAddress": "priya.nair@fabrikam.example"}}}}`)
}

func TestIntakeAutomationToken(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*fieldlink.Hook)
		bare      bool
		header    []string
		status    int
	}{
		{"good token", withAutomationToken, false, []string{AutomationTokenHeader, automationToken}, http.StatusAccepted},
		{"wrong token", withAutomationToken, false, []string{AutomationTokenHeader, "flh_wrong"}, http.StatusUnauthorized},
		{"empty token", withAutomationToken, false, []string{AutomationTokenHeader, ""}, http.StatusUnauthorized},
		{"no token and no signature", withAutomationToken, false, nil, http.StatusUnauthorized},
		{"hook without token", func(*fieldlink.Hook) {}, false, []string{AutomationTokenHeader, automationToken}, http.StatusUnauthorized},
		{"URL without hook", withAutomationToken, true, []string{AutomationTokenHeader, automationToken}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, hook := newIntakeAPI(t, tt.configure)
			path := "/hooks/jira/" + hook.ID
			if tt.bare {
				path = "/hooks/jira"
			}

			r := a.call("POST", path, "", automationBody(t), tt.header...)

			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			if strings.Contains(a.logs.String(), automationToken) {
				t.Error("log contains the automation token")
			}
			stored := len(a.queue.stored)
			if tt.status != http.StatusAccepted {
				if stored != 0 {
					t.Errorf("%d events stored from a rejected call, want 0", stored)
				}
				if !tt.bare && !strings.Contains(a.logs.String(), "hook="+hook.ID) {
					t.Errorf("rejection not logged with the hook id:\n%s", a.logs)
				}
				return
			}

			if stored != 1 {
				t.Fatalf("%d events stored, want 1", stored)
			}
			ev := a.queue.stored[0]
			if ev.Kind != jira.EventIssueCreated || ev.IssueKey != "ITH-42" || ev.HookID != hook.ID {
				t.Errorf("event kind %q issue %q hook %q, want jira:issue_created ITH-42 %s", ev.Kind, ev.IssueKey, ev.HookID, hook.ID)
			}
			wh, err := jira.ParseWebhook(ev.Payload)
			if err != nil {
				t.Fatalf("stored payload is not a webhook body: %v", err)
			}
			if wh.Event != jira.EventIssueCreated || wh.Ticket.Reporter == nil || wh.Ticket.Reporter.EmailAddress != "amelie.laurent@fabrikam.example" {
				t.Errorf("stored payload parses to event %q reporter %+v", wh.Event, wh.Ticket.Reporter)
			}
		})
	}
}

func TestIntakeAutomationDedupe(t *testing.T) {
	a, hook := newIntakeAPI(t, withAutomationToken)
	path := "/hooks/jira/" + hook.ID
	first := issueBody("ITH-42", "ITH", "2025-03-04T09:30:11.662+0100")
	later := issueBody("ITH-42", "ITH", "2025-03-04T10:00:00.000+0100")

	var statuses []string
	for _, body := range [][]byte{first, first, later, automationBody(t), automationBody(t)} {
		r := a.call("POST", path, "", body, AutomationTokenHeader, automationToken)
		statuses = append(statuses, decodeBody[IntakeBody](t, r).Status)
	}

	want := []string{"accepted", "duplicate", "accepted", "accepted", "duplicate"}
	if strings.Join(statuses, " ") != strings.Join(want, " ") {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	if n := len(a.queue.stored); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}
}

func TestIntakeAutomationWebhookBody(t *testing.T) {
	a, hook := newIntakeAPI(t, func(h *fieldlink.Hook) {
		withAutomationToken(h)
		h.Events = []string{fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated}
	})
	body := []byte(strings.Replace(string(webhookBody("ITH-7")), "jira:issue_created", "jira:issue_updated", 1))

	r := a.call("POST", "/hooks/jira/"+hook.ID, "", body, AutomationTokenHeader, automationToken)

	if r.status != http.StatusAccepted {
		t.Fatalf("status = %d, want 202: %s", r.status, r.body)
	}
	if ev := a.queue.stored[0]; ev.Kind != jira.EventIssueUpdated || string(ev.Payload) != string(body) {
		t.Errorf("event kind %q payload %s, want the webhook body stored as it came", ev.Kind, ev.Payload)
	}
}

func TestIntakeHookEvents(t *testing.T) {
	created := webhookBody("ITH-1")
	updated := []byte(strings.Replace(string(created), "jira:issue_created", "jira:issue_updated", 1))
	commented := []byte(strings.Replace(string(created), "jira:issue_created", "comment_created", 1))

	tests := []struct {
		name   string
		events []string
		body   []byte
		status string
	}{
		{"created by default", nil, created, "accepted"},
		{"updated not listed", nil, updated, "ignored"},
		{"updated listed", []string{fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated}, updated, "accepted"},
		{"created not listed", []string{fieldlink.EventIssueUpdated}, created, "ignored"},
		{"comment never processed", []string{"comment_created"}, commented, "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, hook := newIntakeAPI(t, func(h *fieldlink.Hook) { h.Events = tt.events })
			signature := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, tt.body))

			r := a.call("POST", "/hooks/jira/"+hook.ID, "", tt.body, "X-Hub-Signature", signature)

			if got := decodeBody[IntakeBody](t, r).Status; got != tt.status {
				t.Errorf("status = %q (%d), want %q", got, r.status, tt.status)
			}
			wantStored := 0
			if tt.status == "accepted" {
				wantStored = 1
			}
			if n := len(a.queue.stored); n != wantStored {
				t.Errorf("%d events stored, want %d", n, wantStored)
			}
		})
	}
}

func TestIntakeProjectKeys(t *testing.T) {
	tests := []struct {
		name     string
		projects []string
		status   string
	}{
		{"every project", nil, "accepted"},
		{"listed project", []string{"HR", "ith"}, "accepted"},
		{"other project", []string{"HR"}, "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, hook := newIntakeAPI(t, func(h *fieldlink.Hook) {
				withAutomationToken(h)
				h.ProjectKeys = tt.projects
			})

			r := a.call("POST", "/hooks/jira/"+hook.ID, "", issueBody("ITH-42", "ITH", "2025-03-04T09:30:11.662+0100"),
				AutomationTokenHeader, automationToken)

			if got := decodeBody[IntakeBody](t, r).Status; got != tt.status {
				t.Errorf("status = %q (%d), want %q", got, r.status, tt.status)
			}
			if tt.status == "ignored" {
				if n := len(a.queue.stored); n != 0 {
					t.Errorf("%d events stored for another project, want 0", n)
				}
				if !strings.Contains(a.logs.String(), "project=ITH") {
					t.Errorf("ignored call not logged with its project:\n%s", a.logs)
				}
			}
		})
	}
}
