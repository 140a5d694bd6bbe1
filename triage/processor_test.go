package triage

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/upstream"
)

// fakeItems is an ItemEvaluator whose behaviour a test sets.
type fakeItems struct {
	EvaluateFunc func(tc fieldlink.TicketContext) (fieldlink.ItemResult, error)
}

func (f *fakeItems) EvaluateWithDependencies(_ context.Context, _ fieldlink.Item, _ item.Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	return f.EvaluateFunc(tc)
}

// testStore is the SQLite store with the hook and rules a test sets, so
// that tests need not wait for every hook and rule setting to be stored, and
// with a FinishEvent that a test can make fail.
type testStore struct {
	*store.DB
	hook           *fieldlink.Hook
	rules          []fieldlink.Rule
	FinishFailFunc func(status fieldlink.EventStatus) error
}

func (s *testStore) FindHook(ctx context.Context, id string) (fieldlink.Hook, error) {
	if s.hook != nil && s.hook.ID == id {
		return *s.hook, nil
	}
	return s.DB.FindHook(ctx, id)
}

func (s *testStore) ListRules(ctx context.Context) ([]fieldlink.Rule, error) {
	if s.rules != nil {
		return s.rules, nil
	}
	return s.DB.ListRules(ctx)
}

func (s *testStore) FinishEvent(ctx context.Context, id int64, status fieldlink.EventStatus, outcome fieldlink.Outcome) error {
	if s.FinishFailFunc != nil {
		if err := s.FinishFailFunc(status); err != nil {
			return err
		}
	}
	return s.DB.FinishEvent(ctx, id, status, outcome)
}

type setup struct {
	db        *store.DB
	store     *testStore
	items     *fakeItems
	site      *jiraSite
	processor *Processor
	hook      fieldlink.Hook
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	ctx := context.Background()

	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	site := newJiraSite(t)
	graphDS := fieldlink.Datasource{Name: "Graph", BaseURL: "http://127.0.0.1:1/v1.0", Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "t"}}
	jiraDS := fieldlink.Datasource{Name: "Jira", BaseURL: site.srv.URL, AllowLoopback: true, Auth: fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "a@example.com", Password: "p"}}
	for _, ds := range []*fieldlink.Datasource{&graphDS, &jiraDS} {
		if err := db.CreateDatasource(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	it := fieldlink.Item{Name: "Reporter office", DatasourceID: graphDS.ID, Type: fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{Method: "GET", Path: "/users/${reporter.emailAddress}"}, Template: "${row.officeLocation}"}
	if err := db.CreateItem(ctx, &it); err != nil {
		t.Fatal(err)
	}
	rule := fieldlink.Rule{Name: "Paris office", Position: 10, Condition: `items["Reporter office"] == "Paris"`,
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA Service Desk"}`)}}
	if err := db.CreateRule(ctx, &rule); err != nil {
		t.Fatal(err)
	}
	hook := fieldlink.Hook{Name: "IT Help", Secret: "s3cret", JiraDatasourceID: jiraDS.ID}
	if err := db.CreateHook(ctx, &hook); err != nil {
		t.Fatal(err)
	}

	store := &testStore{DB: db}
	s := &setup{db: db, store: store, items: &fakeItems{}, site: site, hook: hook}
	s.processor = &Processor{Store: store, Items: s.items, Jira: jira.NewClient(siteUpstream{client: site.srv.Client()})}
	return s
}

// setHook replaces the hook's settings, keeping its ID and datasource.
func (s *setup) setHook(change func(h *fieldlink.Hook)) {
	h := s.hook
	change(&h)
	s.store.hook = &h
}

// storeEvent stores a webhook for the issue with the given reporter email
// ("" hides it) and returns the event's ID.
func (s *setup) storeEvent(t *testing.T, key, email string) int64 {
	t.Helper()
	reporter := map[string]any{"accountId": "712020:1", "displayName": "Ada"}
	if email != "" {
		reporter["emailAddress"] = email
	}
	return s.storePayload(t, key, map[string]any{"reporter": reporter, "project": map[string]any{"key": "ITH"}, "summary": "Wi-Fi"})
}

// storePayload stores a webhook with the given issue fields.
func (s *setup) storePayload(t *testing.T, key string, fields map[string]any) int64 {
	t.Helper()
	return s.storeWebhook(t, key, map[string]any{"webhookEvent": "jira:issue_created"}, fields)
}

// errMissingEmail is an item's error for a reporter without an email.
var errMissingEmail = &item.MissingValueError{Expr: "reporter.emailAddress"}

// storeWebhook stores a webhook body with the members of head and the issue
// with the fields.
func (s *setup) storeWebhook(t *testing.T, key string, head, fields map[string]any) int64 {
	t.Helper()
	webhook := map[string]any{"timestamp": 1733300000000, "issue": map[string]any{"id": "10001", "key": key, "fields": fields}}
	for name, value := range head {
		webhook[name] = value
	}
	body, _ := json.Marshal(webhook)

	ctx := context.Background()
	tx, err := s.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := fieldlink.Event{HookID: s.hook.ID, DeliveryID: key, Kind: "jira:issue_created", IssueKey: key, Payload: body, Status: fieldlink.EventPending}
	if _, err := s.db.InsertEventTx(ctx, store.SQLTx(tx), &ev); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func (s *setup) event(t *testing.T, id int64) fieldlink.Event {
	t.Helper()
	ev, err := s.db.FindEvent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestProcessRoutesMatchingOffice(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}
	id := s.storeEvent(t, "ITH-1", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventProcessed {
		t.Errorf("status = %q, want processed", ev.Status)
	}
	if got := string(s.site.issue("ITH-1").fields["customfield_10050"]); !strings.Contains(got, `"value":"EMEA Service Desk"`) {
		t.Errorf("customfield_10050 of ITH-1 = %s, want EMEA Service Desk", got)
	}
	if ev.Outcome.Rule != "Paris office" {
		t.Errorf("rule = %q, want Paris office", ev.Outcome.Rule)
	}
	if got := strings.Join(ev.Outcome.FieldsWritten, ","); got != "customfield_10050" {
		t.Errorf("fields written = %q", got)
	}
	if ev.Outcome.Items["Reporter office"] != "Paris" {
		t.Errorf("items = %v", ev.Outcome.Items)
	}
}

func TestProcessTwiceEditsOnce(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}
	id := s.storeEvent(t, "ITH-1", "ada@fabrikam.example")

	for range 3 {
		if err := s.processor.Process(context.Background(), id, false); err != nil {
			t.Fatal(err)
		}
	}

	if n := s.site.puts; n != 1 {
		t.Errorf("issue edited %d times, want 1", n)
	}
}

func TestProcessNoRuleMatched(t *testing.T) {
	tests := []struct {
		name   string
		result fieldlink.ItemResult
		want   string
	}{
		{"no rows", fieldlink.ItemResult{}, "no rule matched (Reporter office: not found)"},
		{"row without value", fieldlink.ItemResult{Rows: 1}, "no rule matched (Reporter office: no value)"},
		{"other office", fieldlink.ItemResult{Values: []string{"Lyon"}, Text: "Lyon", Rows: 1}, "no rule matched (Reporter office: Lyon)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
				return tt.result, nil
			}
			id := s.storeEvent(t, "ITH-2", "nobody@contractor.example")

			if err := s.processor.Process(context.Background(), id, false); err != nil {
				t.Fatal(err)
			}

			ev := s.event(t, id)
			if ev.Status != fieldlink.EventProcessed {
				t.Errorf("status = %q, want processed", ev.Status)
			}
			if ev.Outcome.Reason != tt.want {
				t.Errorf("reason = %q, want %q", ev.Outcome.Reason, tt.want)
			}
			if n := s.site.puts; n != 0 {
				t.Errorf("issue edited %d times, want 0", n)
			}
		})
	}
}

func TestProcessHiddenEmail(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{}, &item.MissingValueError{Expr: "reporter.emailAddress"}
	}
	id := s.storeEvent(t, "ITH-3", "")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventProcessed {
		t.Errorf("status = %q, want processed", ev.Status)
	}
	if !strings.HasPrefix(ev.Outcome.Reason, "reporter email not visible") {
		t.Errorf("reason = %q, want it to start with %q", ev.Outcome.Reason, "reporter email not visible")
	}
	if !strings.Contains(ev.Outcome.Reporter, "email hidden") {
		t.Errorf("reporter = %q, want it to say the email is hidden", ev.Outcome.Reporter)
	}
}

func TestProcessNoReporter(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{}, &item.MissingValueError{Expr: "reporter.emailAddress"}
	}
	id := s.storePayload(t, "ITH-6", map[string]any{"project": map[string]any{"key": "ITH"}, "summary": "No reporter"})

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}

	ev := s.event(t, id)
	if !strings.HasPrefix(ev.Outcome.Reason, "the ticket has no reporter") {
		t.Errorf("reason = %q, want it to say the ticket has no reporter", ev.Outcome.Reason)
	}
}

func TestProcessTransientThenFinal(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}
	s.site.failNext("PUT issue", 429, 429)
	id := s.storeEvent(t, "ITH-4", "ada@fabrikam.example")

	err := s.processor.Process(context.Background(), id, false)
	var transient *TransientError
	if !errors.As(err, &transient) {
		t.Fatalf("first attempt error = %v, want a *TransientError", err)
	}
	if transient.RetryAfter != 30*time.Second {
		t.Errorf("RetryAfter = %v, want Jira's 30s", transient.RetryAfter)
	}
	ev := s.event(t, id)
	if ev.Status != fieldlink.EventPending {
		t.Errorf("status after a transient failure = %q, want pending", ev.Status)
	}
	if ev.Outcome == nil || ev.Outcome.Attempts != 1 || !ev.Outcome.Writing {
		t.Errorf("outcome after a transient failure = %+v, want attempt 1 and the write marked as started", ev.Outcome)
	}

	if err := s.processor.Process(context.Background(), id, true); err != nil {
		t.Fatalf("final attempt: %v", err)
	}
	ev = s.event(t, id)
	if ev.Outcome.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", ev.Outcome.Attempts)
	}
	if ev.Status != fieldlink.EventFailed {
		t.Errorf("status after the final attempt = %q, want failed", ev.Status)
	}
	if !strings.Contains(ev.Outcome.Reason, "ITH-4") {
		t.Errorf("reason = %q, want it to name the issue", ev.Outcome.Reason)
	}
}

func TestProcessTransientReasonSaysWhatNext(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}
	s.site.failNext("PUT issue", 409, 409)
	id := s.storeEvent(t, "ITH-6", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err == nil {
		t.Fatal("first attempt after a 409 returned nil, want a *TransientError")
	}
	pending := s.event(t, id).Outcome.Reason
	for _, want := range []string{"edit issue ITH-6", "409 Conflict", "attempt 1 failed: fieldlink retries the event"} {
		if !strings.Contains(pending, want) {
			t.Errorf("reason while pending = %q, want it to contain %q", pending, want)
		}
	}

	if err := s.processor.Process(context.Background(), id, true); err != nil {
		t.Fatalf("final attempt: %v", err)
	}
	failed := s.event(t, id).Outcome.Reason
	replay := fmt.Sprintf("attempt 2 failed and was the last: once the failing service accepts requests again, replay the event with \"fieldlink event replay %d\"", id)
	for _, want := range []string{"edit issue ITH-6", "409 Conflict", replay} {
		if !strings.Contains(failed, want) {
			t.Errorf("reason after the last attempt = %q, want it to contain %q", failed, want)
		}
	}
}

func TestProcessJiraFieldErrorIsFinal(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris"}, nil
	}
	s.site.failNext("PUT issue", 400)
	id := s.storeEvent(t, "ITH-5", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventFailed {
		t.Errorf("status = %q, want failed", ev.Status)
	}
	if !strings.Contains(ev.Outcome.Reason, "PUT issue failed with 400") || !strings.Contains(ev.Outcome.Reason, "ITH-5") {
		t.Errorf("reason = %q, want Jira's message and the issue", ev.Outcome.Reason)
	}
}

func TestClassifyItemError(t *testing.T) {
	visible := fieldlink.TicketContext{Reporter: &fieldlink.User{EmailAddress: "a@example.com"}}
	tests := []struct {
		name          string
		err           error
		wantReason    bool
		wantTransient bool
	}{
		{"missing value", &item.MissingValueError{Expr: "project.key"}, true, false},
		{"throttled", &item.UpstreamStatusError{Status: 429}, false, true},
		{"upstream 503", &item.UpstreamStatusError{Status: 503}, false, true},
		{"upstream 403", &item.UpstreamStatusError{Status: 403, Code: "Authorization_RequestDenied"}, false, false},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), false, true},
		{"other", errors.New("boom"), false, false},
		{"retry later", fmt.Errorf("item: %w", &upstream.RetryLaterError{API: &credential.APIError{Status: 429}, RetryAfter: 2 * time.Minute}), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, err := classifyItemError("Reporter office", visible, tt.err, "")

			if (reason != "") != tt.wantReason {
				t.Errorf("reason = %q, want a reason: %v", reason, tt.wantReason)
			}
			var transient *TransientError
			if errors.As(err, &transient) != tt.wantTransient {
				t.Errorf("error = %v, want transient: %v", err, tt.wantTransient)
			}
		})
	}
}

func TestItemRetryLaterKeepsAPIWait(t *testing.T) {
	later := &upstream.RetryLaterError{API: &credential.APIError{Status: 429}, RetryAfter: 2 * time.Minute}

	_, err := classifyItemError("Reporter office", fieldlink.TicketContext{}, fmt.Errorf("item: %w", later), "")

	var transient *TransientError
	if !errors.As(err, &transient) {
		t.Fatalf("error = %v, want a TransientError", err)
	}
	if transient.RetryAfter != 2*time.Minute {
		t.Errorf("RetryAfter = %v, want the API's 2m0s", transient.RetryAfter)
	}
}
