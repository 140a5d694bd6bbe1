package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/fieldlink/fieldlink/store"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// storeReplayer replays events through the real store without a queue.
type storeReplayer struct{ a *apiSetup }

func (r storeReplayer) Replay(ctx context.Context, id int64) error {
	tx, err := r.a.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := r.a.db.ReplayEventTx(ctx, store.SQLTx(tx), id); err != nil {
		return err
	}
	return tx.Commit()
}

type fakeSimulator struct {
	SimulateFunc func(hook fieldlink.Hook, payload []byte) (fieldlink.Outcome, error)
}

func (f *fakeSimulator) Simulate(_ context.Context, hook fieldlink.Hook, payload []byte) (fieldlink.Outcome, error) {
	return f.SimulateFunc(hook, payload)
}

// newTriageAPI starts the API with a replayer and a simulator on a new
// SQLite file.
func newTriageAPI(t *testing.T, sim Simulator) *apiSetup {
	t.Helper()
	a := newAPI(t)
	a.srv.Config.Handler = New(Options{
		Store:          a.db,
		Tester:         a.tester,
		Items:          a.items,
		Queue:          a.queue,
		Replayer:       storeReplayer{a},
		Simulator:      sim,
		AdminTokenHash: sha256.Sum256([]byte(adminToken)),
	})
	return a
}

// storeEvent stores an issue-created event for the hook with the status.
func storeEvent(t *testing.T, a *apiSetup, hookID, key string, status fieldlink.EventStatus) int64 {
	t.Helper()
	e := fieldlink.Event{HookID: hookID, DeliveryID: "delivery-" + key + string(status), Kind: fieldlink.EventIssueCreated,
		IssueKey: key, Payload: webhookBody(key)}
	if _, err := a.queue.Enqueue(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	if status != fieldlink.EventPending {
		if err := a.db.FinishEvent(context.Background(), e.ID, status, fieldlink.Outcome{IssueKey: key, Items: map[string]string{}, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return e.ID
}

func TestRuleActionsAndRuleSets(t *testing.T) {
	a := newAPI(t)
	body := RuleBody{Name: "Label VPN", RuleSet: "network", AddLabels: []string{"vpn"}, Comment: "Routed by fieldlink", CommentInternal: true,
		RequestParticipants: []string{"${reporter.accountId}"}}
	created := a.call("POST", "/api/v1/rules", adminToken, body)
	if created.status != http.StatusCreated {
		t.Fatalf("create rule: %d %s", created.status, created.body)
	}
	got := decodeBody[RuleBody](t, created)
	body.ID = got.ID
	if diff := cmp.Diff(body, got); diff != "" {
		t.Errorf("created rule (-want +got):\n%s", diff)
	}

	other := a.call("POST", "/api/v1/rules", adminToken, RuleBody{Name: "Default", Fields: map[string]json.RawMessage{"summary": json.RawMessage(`"x"`)}})
	if other.status != http.StatusCreated {
		t.Fatalf("create default rule: %d %s", other.status, other.body)
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"?ruleSet=network", []string{"Label VPN"}},
		{"?ruleSet=", []string{"Default"}},
		{"", []string{"Default", "Label VPN"}},
	}
	for _, tt := range tests {
		list := decodeBody[ListBody[RuleBody]](t, a.call("GET", "/api/v1/rules"+tt.query, adminToken, nil))
		var names []string
		for _, r := range list.Items {
			names = append(names, r.Name)
		}
		if diff := cmp.Diff(tt.want, names); diff != "" {
			t.Errorf("GET /api/v1/rules%s names (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestRuleActionsRejected(t *testing.T) {
	a := newAPI(t)
	tests := []struct {
		name string
		body RuleBody
		want string
	}{
		{"no action", RuleBody{Name: "Nothing"}, "no action"},
		{"internal without comment", RuleBody{Name: "x", AddLabels: []string{"a"}, CommentInternal: true}, "commentInternal"},
		{"label with space", RuleBody{Name: "x", AddLabels: []string{"two words"}}, "addLabels[0]"},
		{"empty label", RuleBody{Name: "x", AddLabels: []string{" "}}, "addLabels[0] is empty"},
		{"empty participant", RuleBody{Name: "x", RequestParticipants: []string{""}}, "requestParticipants[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.call("POST", "/api/v1/rules", adminToken, tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.status, r.body)
			}
			if !strings.Contains(string(r.body), tt.want) {
				t.Errorf("body %s does not mention %q", r.body, tt.want)
			}
		})
	}
}

func TestHookUpdateSettings(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	officeItemSetup(t, a)

	update := HookBody{Name: "IT Help", JiraDatasource: hook.JiraDatasource, ProjectKeys: []string{"ITH"}, RuleSet: "network",
		MatchAll: true, Events: []string{fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated}, EmailFallback: "item:Reporter office"}
	r := a.call("PUT", "/api/v1/hooks/"+hook.ID, adminToken, update)
	if r.status != http.StatusOK {
		t.Fatalf("PUT hook: %d %s", r.status, r.body)
	}
	got := decodeBody[HookBody](t, a.call("GET", "/api/v1/hooks/"+hook.ID, adminToken, nil))
	update.ID, update.URL = hook.ID, hook.URL
	if diff := cmp.Diff(update, got); diff != "" {
		t.Errorf("hook after PUT (-want +got):\n%s", diff)
	}

	stored, err := a.db.FindHook(context.Background(), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Secret != hook.Secret {
		t.Error("PUT changed the hook's secret")
	}
}

func TestHookUpdateRejected(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	base := HookBody{Name: "IT Help", JiraDatasource: hook.JiraDatasource}

	tests := []struct {
		name   string
		change func(*HookBody)
		want   string
	}{
		{"unknown event", func(b *HookBody) { b.Events = []string{"jira:issue_deleted"} }, "events[0]"},
		{"bad fallback", func(b *HookBody) { b.EmailFallback = "ldap" }, "emailFallback"},
		{"unknown fallback item", func(b *HookBody) { b.EmailFallback = "item:Nope" }, "item \\\"Nope\\\""},
		{"lower-case project key", func(b *HookBody) { b.ProjectKeys = []string{"ith"} }, "projectKeys[0]"},
		{"missing datasource", func(b *HookBody) { b.JiraDatasource = "ds_missing" }, "jiraDatasource"},
		{"secret given", func(b *HookBody) { b.Secret = "mine" }, "secret cannot be chosen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := base
			tt.change(&body)
			r := a.call("PUT", "/api/v1/hooks/"+hook.ID, adminToken, body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.status, r.body)
			}
			if !strings.Contains(string(r.body), tt.want) {
				t.Errorf("body %s does not mention %q", r.body, tt.want)
			}
		})
	}

	if r := a.call("PUT", "/api/v1/hooks/hk_missing", adminToken, base); r.status != http.StatusNotFound {
		t.Errorf("PUT unknown hook: status %d, want 404", r.status)
	}
}

func TestHookSecretRotation(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)

	r := a.call("POST", "/api/v1/hooks/"+hook.ID+"/secret", adminToken, nil)
	if r.status != http.StatusOK {
		t.Fatalf("rotate secret: %d %s", r.status, r.body)
	}
	rotated := decodeBody[HookBody](t, r)
	if rotated.Secret == "" || rotated.Secret == hook.Secret {
		t.Fatalf("rotated secret %q, want a new one", rotated.Secret)
	}
	stored, err := a.db.FindHook(context.Background(), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Secret != rotated.Secret {
		t.Error("stored secret is not the one returned")
	}
}

func TestHookAutomationToken(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	path := "/api/v1/hooks/" + hook.ID + "/automation-token"

	r := a.call("POST", path, adminToken, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("create token: %d %s", r.status, r.body)
	}
	created := decodeBody[HookBody](t, r)
	if !strings.HasPrefix(created.AutomationToken, automationTokenPrefix) || !created.HasAutomationToken {
		t.Fatalf("created hook = %+v, want a token and hasAutomationToken", created)
	}

	stored, err := a.db.FindHook(context.Background(), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.AutomationTokenHash != AutomationTokenHash(created.AutomationToken) {
		t.Errorf("stored hash %q is not the SHA-256 of the returned token", stored.AutomationTokenHash)
	}
	shown := a.call("GET", "/api/v1/hooks/"+hook.ID, adminToken, nil)
	if bytes.Contains(shown.body, []byte(created.AutomationToken)) || !decodeBody[HookBody](t, shown).HasAutomationToken {
		t.Errorf("GET hook = %s, want hasAutomationToken without the token", shown.body)
	}

	if r := a.call("DELETE", path, adminToken, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete token: %d %s", r.status, r.body)
	}
	stored, err = a.db.FindHook(context.Background(), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.AutomationTokenHash != "" {
		t.Error("token hash still stored after DELETE")
	}
}

func TestEventListFiltersAndPages(t *testing.T) {
	a := newAPI(t)
	failed := storeEvent(t, a, "hk_a", "ITH-1", fieldlink.EventFailed)
	processed := storeEvent(t, a, "hk_a", "ITH-2", fieldlink.EventProcessed)
	otherHook := storeEvent(t, a, "hk_b", "ITH-1", fieldlink.EventFailed)

	ids := func(path string) ([]int64, int64) {
		t.Helper()
		r := a.call("GET", path, adminToken, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		list := decodeBody[EventListBody](t, r)
		var got []int64
		for _, e := range list.Items {
			got = append(got, e.ID)
		}
		return got, list.NextBefore
	}

	tests := []struct {
		path string
		want []int64
	}{
		{"/api/v1/events?status=failed", []int64{otherHook, failed}},
		{"/api/v1/events?issue=ITH-1&hook=hk_a", []int64{failed}},
		{"/api/v1/events?status=processed", []int64{processed}},
		{fmt.Sprintf("/api/v1/events?before=%d", processed), []int64{failed}},
	}
	for _, tt := range tests {
		got, _ := ids(tt.path)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("GET %s IDs (-want +got):\n%s", tt.path, diff)
		}
	}

	first, next := ids("/api/v1/events?limit=2")
	if diff := cmp.Diff([]int64{otherHook, processed}, first); diff != "" || next != processed {
		t.Errorf("first page %v nextBefore %d, want [%d %d] and %d", first, next, otherHook, processed, processed)
	}

	for _, bad := range []string{"status=done", "limit=0", "before=x"} {
		if r := a.call("GET", "/api/v1/events?"+bad, adminToken, nil); r.status != http.StatusBadRequest {
			t.Errorf("GET /api/v1/events?%s: status %d, want 400", bad, r.status)
		}
	}
}

func TestEventReplayRoute(t *testing.T) {
	a := newTriageAPI(t, nil)
	hook := hookSetup(t, a)
	failed := storeEvent(t, a, hook.ID, "ITH-1", fieldlink.EventFailed)
	pending := storeEvent(t, a, hook.ID, "ITH-2", fieldlink.EventPending)
	orphaned := storeEvent(t, a, "hk_deleted", "ITH-3", fieldlink.EventFailed)

	r := a.call("POST", fmt.Sprintf("/api/v1/events/%d/replay", failed), adminToken, nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("replay failed event: %d %s", r.status, r.body)
	}
	if got := decodeBody[EventBody](t, r); got.Status != string(fieldlink.EventPending) {
		t.Errorf("status after replay = %q, want pending", got.Status)
	}

	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"pending", fmt.Sprintf("/api/v1/events/%d/replay", pending), http.StatusConflict},
		{"hook deleted", fmt.Sprintf("/api/v1/events/%d/replay", orphaned), http.StatusConflict},
		{"unknown", "/api/v1/events/999/replay", http.StatusNotFound},
		{"not a number", "/api/v1/events/abc/replay", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := a.call("POST", tt.path, adminToken, nil); r.status != tt.status {
				t.Errorf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
		})
	}
}

func TestSimulateRules(t *testing.T) {
	var payloads []string
	sim := &fakeSimulator{SimulateFunc: func(hook fieldlink.Hook, payload []byte) (fieldlink.Outcome, error) {
		payloads = append(payloads, string(payload))
		var body struct {
			Issue struct{ Key string } `json:"issue"`
		}
		_ = json.Unmarshal(payload, &body)
		if body.Issue.Key == "ITH-9" {
			return fieldlink.Outcome{IssueKey: "ITH-9", Items: map[string]string{"Reporter office": "Lyon"}, Reason: "no rule matched"}, nil
		}
		return fieldlink.Outcome{IssueKey: body.Issue.Key, Reporter: "ada@fabrikam.example", Items: map[string]string{"Reporter office": "Paris"},
			Rule: "Paris", FieldsWritten: []string{"customfield_10050"}, LabelsAdded: []string{"paris"}, Commented: true}, nil
	}}
	a := newTriageAPI(t, sim)
	hook := hookSetup(t, a)
	officeItemSetup(t, a)
	rule := RuleBody{Name: "Paris", Condition: `items["Reporter office"] == "Paris"`, Comment: "Welcome",
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)}}
	if r := a.call("POST", "/api/v1/rules", adminToken, rule); r.status != http.StatusCreated {
		t.Fatalf("create rule: %d %s", r.status, r.body)
	}
	stored := storeEvent(t, a, hook.ID, "ITH-1", fieldlink.EventProcessed)

	r := a.call("POST", "/api/v1/rules/simulate", adminToken, map[string]any{"hook": hook.ID, "events": []int64{stored}})
	if r.status != http.StatusOK {
		t.Fatalf("simulate events: %d %s", r.status, r.body)
	}
	want := SimulationBody{Event: stored, IssueKey: "ITH-1", Reporter: "ada@fabrikam.example", Items: map[string]string{"Reporter office": "Paris"},
		Rule: "Paris", Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)},
		Labels: []string{"paris"}, Comment: "Welcome"}
	got := decodeBody[SimulationListBody](t, r)
	for _, item := range got.Items {
		for id, value := range item.Fields {
			var compact bytes.Buffer
			if err := json.Compact(&compact, value); err != nil {
				t.Fatal(err)
			}
			item.Fields[id] = compact.Bytes()
		}
	}
	if diff := cmp.Diff(SimulationListBody{Hook: hook.ID, Items: []SimulationBody{want}}, got); diff != "" {
		t.Errorf("simulation of a stored event (-want +got):\n%s", diff)
	}

	r = a.call("POST", "/api/v1/rules/simulate", adminToken, `{"hook":"`+hook.ID+`","payloads":[`+string(webhookBody("ITH-9"))+`]}`)
	if r.status != http.StatusOK {
		t.Fatalf("simulate payloads: %d %s", r.status, r.body)
	}
	if items := decodeBody[SimulationListBody](t, r).Items; len(items) != 1 || items[0].Reason != "no rule matched" || items[0].Event != 0 {
		t.Errorf("simulation of a payload = %+v, want one result with the reason", items)
	}

	r = a.call("POST", "/api/v1/rules/simulate", adminToken, map[string]any{"hook": hook.ID, "recent": 5})
	if n := len(decodeBody[SimulationListBody](t, r).Items); r.status != http.StatusOK || n != 1 {
		t.Errorf("simulate recent: status %d with %d results, want 200 with 1", r.status, n)
	}

	event, err := a.db.FindEvent(context.Background(), stored)
	if err != nil {
		t.Fatal(err)
	}
	if event.Status != fieldlink.EventProcessed || event.Outcome.Reason != "test" {
		t.Errorf("stored event changed by simulation: %+v", event)
	}
	if len(payloads) != 3 {
		t.Errorf("simulator called %d times, want 3", len(payloads))
	}
}

func TestSimulateRulesRejected(t *testing.T) {
	sim := &fakeSimulator{SimulateFunc: func(fieldlink.Hook, []byte) (fieldlink.Outcome, error) {
		t.Error("simulator called for a rejected request")
		return fieldlink.Outcome{}, nil
	}}
	a := newTriageAPI(t, sim)
	hook := hookSetup(t, a)

	tests := []struct {
		name string
		body string
		want string
	}{
		{"no hook", `{"recent": 5}`, "hook is missing"},
		{"unknown hook", `{"hook": "hk_missing", "recent": 5}`, "does not exist"},
		{"no source", `{"hook": "` + hook.ID + `"}`, "exactly one"},
		{"two sources", `{"hook": "` + hook.ID + `", "recent": 5, "events": [1]}`, "exactly one"},
		{"too many recent", `{"hook": "` + hook.ID + `", "recent": 500}`, "recent 500"},
		{"unknown event", `{"hook": "` + hook.ID + `", "events": [999]}`, "event 999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.call("POST", "/api/v1/rules/simulate", adminToken, tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.status, r.body)
			}
			if !strings.Contains(string(r.body), tt.want) {
				t.Errorf("body %s does not mention %q", r.body, tt.want)
			}
		})
	}
}

func TestSimulateWithoutSimulator(t *testing.T) {
	a := newAPI(t)
	srv := New(Options{Store: a.db, AdminTokenHash: sha256.Sum256([]byte(adminToken))})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/rules/simulate", strings.NewReader(`{"hook":"hk_a","recent":1}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)

	srv.ServeHTTP(rec, req)

	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500 without a simulator", rec.Code)
	}
}
