package triage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func paris(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	return fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris", Rows: 1}, nil
}

func TestProcessRuleSetMatchAll(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.setHook(func(h *fieldlink.Hook) { h.RuleSet = "emea"; h.MatchAll = true })
	s.store.rules = []fieldlink.Rule{
		{Name: "Other set", Position: 1, Fields: map[string]json.RawMessage{"summary": json.RawMessage(`"wrong set"`)}},
		{Name: "Default", RuleSet: "emea", Position: 90, AddLabels: []string{"routed"}, Comment: "Routed by fieldlink",
			Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Service desk"}`)}},
		{Name: "Paris", RuleSet: "emea", Position: 10, Condition: `items["Reporter office"] == "Paris"`,
			Fields:    map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`), "customfield_10052": json.RawMessage(`"${items[\"Reporter office\"]}"`)},
			AddLabels: []string{"paris", "routed"}, Comment: "Office ${items[\"Reporter office\"]}", CommentInternal: true,
			RequestParticipants: []string{"${reporter.accountId}"}},
	}
	id := s.storeEvent(t, "ITH-10", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	want := fieldlink.Outcome{
		IssueKey: "ITH-10", Reporter: "Ada <ada@fabrikam.example>",
		Items: map[string]string{"Reporter office": "Paris"},
		Rule:  "Paris", Rules: []string{"Paris", "Default"},
		FieldsWritten:     []string{"customfield_10050", "customfield_10052"},
		LabelsAdded:       []string{"paris", "routed"},
		Commented:         true,
		ParticipantsAdded: []string{"712020:1"},
		Attempts:          1,
	}
	if diff := cmp.Diff(*ev.Outcome, want); diff != "" {
		t.Errorf("outcome (-got +want):\n%s", diff)
	}
	is := s.site.issue("ITH-10")
	if got := string(is.fields["customfield_10050"]); !strings.Contains(got, `"value":"Service desk"`) {
		t.Errorf("customfield_10050 = %s, want the later rule's Service desk", got)
	}
	if _, ok := is.fields["summary"]; ok {
		t.Error("a rule of another rule set wrote the summary")
	}
	wantComments := []siteComment{{Text: "Office Paris", Internal: true}, {Text: "Routed by fieldlink"}}
	if diff := cmp.Diff(is.comments, wantComments); diff != "" {
		t.Errorf("comments (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(is.participants, []string{"712020:1"}); diff != "" {
		t.Errorf("participants (-got +want):\n%s", diff)
	}
	if s.site.puts != 1 {
		t.Errorf("edits = %d, want one edit for both rules", s.site.puts)
	}
}

func TestProcessHostileItemValue(t *testing.T) {
	s := newSetup(t)
	hostile := "Paris \"HQ\" \\ floor 2\nannex"
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		return fieldlink.ItemResult{Values: []string{hostile}, Text: hostile, Rows: 1}, nil
	}
	s.store.rules = []fieldlink.Rule{{Name: "Office", Condition: `items["Reporter office"] != ""`,
		Fields: map[string]json.RawMessage{"customfield_10052": json.RawMessage(`"${items[\"Reporter office\"]}"`)}}}
	id := s.storeEvent(t, "ITH-11", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	var got string
	if err := json.Unmarshal(s.site.issue("ITH-11").fields["customfield_10052"], &got); err != nil {
		t.Fatalf("decode written value: %v", err)
	}
	if got != hostile {
		t.Errorf("customfield_10052 = %q, want %q", got, hostile)
	}
}

func TestProcessMissingTemplateValue(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.setHook(func(h *fieldlink.Hook) { h.MatchAll = true })
	s.store.rules = []fieldlink.Rule{
		{Name: "Office", Position: 1, Fields: map[string]json.RawMessage{"customfield_10052": json.RawMessage(`"Paris"`)}},
		{Name: "Manager", Position: 2, Comment: "Manager: ${issue.fields.manager.displayName}"},
	}
	id := s.storeEvent(t, "ITH-12", "ada@fabrikam.example")

	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventFailed {
		t.Errorf("status = %q, want failed", ev.Status)
	}
	if !strings.Contains(ev.Outcome.Reason, `rule "Manager" not applied`) || !strings.Contains(ev.Outcome.Reason, "issue.fields.manager.displayName") {
		t.Errorf("reason = %q, want the rule and the placeholder", ev.Outcome.Reason)
	}
	if s.site.puts != 0 {
		t.Errorf("edits = %d, want none so the issue is not half-written", s.site.puts)
	}
}

func TestProcessEditScreenChecks(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value string
		want  []string
	}{
		{"field not on screen", "customfield_10099", `"x"`, []string{"field customfield_10099 is not on the issue's edit screen", "ITH-13", `rule "R"`}},
		{"option not allowed", "customfield_10050", `{"value": "Lyon IT"}`, []string{`{"value":"Lyon IT"}`, "not an allowed option", `"Service desk", "EMEA Service Desk", "Paris IT"`, "ITH-13"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.items.EvaluateFunc = paris
			s.store.rules = []fieldlink.Rule{{Name: "R", Fields: map[string]json.RawMessage{tt.field: json.RawMessage(tt.value)}}}
			id := s.storeEvent(t, "ITH-13", "ada@fabrikam.example")

			if err := s.processor.Process(context.Background(), id, false); err != nil {
				t.Fatalf("Process: %v", err)
			}

			ev := s.event(t, id)
			if ev.Status != fieldlink.EventFailed {
				t.Errorf("status = %q, want failed", ev.Status)
			}
			for _, want := range tt.want {
				if !strings.Contains(ev.Outcome.Reason, want) {
					t.Errorf("reason %q does not contain %q", ev.Outcome.Reason, want)
				}
			}
			if s.site.puts != 0 {
				t.Errorf("edits = %d, want none", s.site.puts)
			}
		})
	}
}

func TestProcessHookSelection(t *testing.T) {
	tests := []struct {
		name    string
		hook    func(h *fieldlink.Hook)
		event   string
		project string
		want    string
	}{
		{"other project", func(h *fieldlink.Hook) { h.ProjectKeys = []string{"HR"} }, "jira:issue_created", "ITH", `project ITH is not handled by hook "IT Help"`},
		{"update not listed", func(h *fieldlink.Hook) {}, "jira:issue_updated", "ITH", "event jira:issue_updated is not handled"},
		{"empty rule set", func(h *fieldlink.Hook) { h.RuleSet = "apac" }, "jira:issue_created", "ITH", `no rules are configured in rule set "apac"`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.items.EvaluateFunc = paris
			s.setHook(tt.hook)
			id := s.storeWebhook(t, "ITH-14", map[string]any{"webhookEvent": tt.event},
				map[string]any{"project": map[string]any{"key": tt.project}})

			if err := s.processor.Process(context.Background(), id, false); err != nil {
				t.Fatalf("Process: %v", err)
			}

			ev := s.event(t, id)
			if ev.Status != fieldlink.EventProcessed {
				t.Errorf("status = %q, want processed", ev.Status)
			}
			if !strings.Contains(ev.Outcome.Reason, tt.want) {
				t.Errorf("reason = %q, want %q", ev.Outcome.Reason, tt.want)
			}
			if s.site.puts != 0 {
				t.Errorf("edits = %d, want none", s.site.puts)
			}
		})
	}
}

func TestProcessUpdateLoopGuard(t *testing.T) {
	tests := []struct {
		name      string
		changelog []any
		comment   bool
		wantEdits int
	}{
		{"own field", []any{map[string]any{"field": "Support group", "fieldId": "customfield_10050"}}, false, 0},
		{"own labels", []any{map[string]any{"field": "labels", "fieldId": "labels"}}, false, 0},
		{"own comment", nil, true, 0},
		{"agent changed summary", []any{map[string]any{"field": "summary", "fieldId": "summary"}, map[string]any{"field": "labels", "fieldId": "labels"}}, false, 1},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.items.EvaluateFunc = paris
			s.setHook(func(h *fieldlink.Hook) { h.Events = []string{fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated} })
			s.store.rules = []fieldlink.Rule{{Name: "Paris", AddLabels: []string{"paris"}, Comment: "Routed",
				Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`)}}}
			body := map[string]any{"webhookEvent": "jira:issue_updated", "changelog": map[string]any{"items": tt.changelog}}
			if tt.comment {
				body["comment"] = map[string]any{"id": "1"}
			}
			id := s.storeWebhook(t, "ITH-15", body, map[string]any{"project": map[string]any{"key": "ITH"}})

			if err := s.processor.Process(context.Background(), id, false); err != nil {
				t.Fatalf("Process: %v", err)
			}

			if s.site.puts != tt.wantEdits {
				t.Errorf("edits = %d, want %d (reason %q)", s.site.puts, tt.wantEdits, s.event(t, id).Outcome.Reason)
			}
			if tt.wantEdits == 0 && !strings.Contains(s.event(t, id).Outcome.Reason, "fieldlink's own change") {
				t.Errorf("reason = %q, want it to say the update was fieldlink's own", s.event(t, id).Outcome.Reason)
			}
		})
	}
}

func TestProcessEmailFallback(t *testing.T) {
	tests := []struct {
		name       string
		fallback   string
		jiraEmail  string
		itemEmail  string
		wantEmail  string
		wantReason string
	}{
		{name: "jira returns email", fallback: "jira", jiraEmail: "ada@fabrikam.example", wantEmail: "ada@fabrikam.example"},
		{name: "jira hides email", fallback: "jira", wantReason: "reporter email not visible (Jira user look-up returned none)"},
		{name: "item returns email", fallback: "item:Email by account", itemEmail: "ada@fabrikam.example", wantEmail: "ada@fabrikam.example"},
		{name: "item returns none", fallback: "item:Email by account", wantReason: `reporter email not visible (item "Email by account" returned none for account 712020:1)`},
		{name: "no fallback", wantReason: "reporter email not visible"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.site.emails["712020:1"] = tt.jiraEmail
			lookup := fieldlink.Item{Name: "Email by account", DatasourceID: s.hook.JiraDatasourceID, Type: fieldlink.ItemReadOnly,
				Request: fieldlink.ItemRequest{Method: "GET", Path: "/users/${reporter.accountId}"}, Template: "${row.mail}"}
			if err := s.db.CreateItem(context.Background(), &lookup); err != nil {
				t.Fatal(err)
			}
			var seen string
			s.items.EvaluateFunc = func(tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
				if tc.Reporter.EmailAddress == "" {
					if tc.Reporter.AccountID == "712020:1" && seen == "" && tt.itemEmail != "" {
						seen = "looked up"
						return fieldlink.ItemResult{Values: []string{tt.itemEmail}, Text: tt.itemEmail, Rows: 1}, nil
					}
					if strings.HasPrefix(tt.fallback, "item:") && seen == "" {
						seen = "looked up"
						return fieldlink.ItemResult{}, nil
					}
					return fieldlink.ItemResult{}, errMissingEmail
				}
				seen = tc.Reporter.EmailAddress
				return paris(tc)
			}
			s.setHook(func(h *fieldlink.Hook) { h.EmailFallback = tt.fallback })
			id := s.storeEvent(t, "ITH-16", "")

			if err := s.processor.Process(context.Background(), id, false); err != nil {
				t.Fatalf("Process: %v", err)
			}

			ev := s.event(t, id)
			if tt.wantEmail != "" && seen != tt.wantEmail {
				t.Errorf("items saw email %q, want %q (reason %q)", seen, tt.wantEmail, ev.Outcome.Reason)
			}
			if tt.wantEmail != "" && ev.Outcome.Rule != "Paris office" {
				t.Errorf("rule = %q, want Paris office", ev.Outcome.Rule)
			}
			if !strings.HasPrefix(ev.Outcome.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to start with %q", ev.Outcome.Reason, tt.wantReason)
			}
		})
	}
}

func TestProcessResumesAfterCrash(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.store.rules = []fieldlink.Rule{{Name: "Paris", AddLabels: []string{"paris"}, Comment: "Routed to Paris IT",
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`)}}}
	id := s.storeEvent(t, "ITH-17", "ada@fabrikam.example")

	// The first run writes everything, then cannot record the outcome, as
	// when the process stops between the write and the commit.
	s.store.FinishFailFunc = func(status fieldlink.EventStatus) error {
		if status != fieldlink.EventPending {
			return errors.New("database is gone")
		}
		return nil
	}
	if err := s.processor.Process(context.Background(), id, false); err == nil {
		t.Fatal("first run succeeded, want the outcome not recorded")
	}
	if ev := s.event(t, id); ev.Status != fieldlink.EventPending || ev.Outcome == nil || !ev.Outcome.Writing {
		t.Fatalf("event after the crash = %q %+v, want pending and marked as writing", ev.Status, ev.Outcome)
	}

	s.store.FinishFailFunc = nil
	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("second run: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventProcessed {
		t.Errorf("status = %q, want processed", ev.Status)
	}
	if s.site.puts != 1 {
		t.Errorf("edits = %d, want 1", s.site.puts)
	}
	if n := len(s.site.issue("ITH-17").comments); n != 1 {
		t.Errorf("comments = %d, want 1", n)
	}
	if ev.Outcome.Attempts != 1 || ev.Outcome.Writing {
		t.Errorf("outcome = %+v, want attempt 1 and no writing mark", ev.Outcome)
	}
}

func TestProcessResumeWritesWhatIsMissing(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.store.rules = []fieldlink.Rule{{Name: "Paris", AddLabels: []string{"paris"},
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`)}}}
	id := s.storeEvent(t, "ITH-18", "ada@fabrikam.example")
	s.site.failNext("PUT issue", 503)

	if err := s.processor.Process(context.Background(), id, false); err == nil {
		t.Fatal("first run succeeded, want a transient error")
	}
	if err := s.processor.Process(context.Background(), id, false); err != nil {
		t.Fatalf("second run: %v", err)
	}

	if s.site.puts != 2 {
		t.Errorf("edits = %d, want 2 because the first failed", s.site.puts)
	}
	if got := s.site.issue("ITH-18").labels; !cmp.Equal(got, []string{"paris"}) {
		t.Errorf("labels = %v, want [paris]", got)
	}
}

func TestSimulateWritesNothing(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.store.rules = []fieldlink.Rule{{Name: "Paris", AddLabels: []string{"paris"}, Comment: "Routed",
		RequestParticipants: []string{"${reporter.accountId}"},
		Fields:              map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`)}}}
	id := s.storeEvent(t, "ITH-19", "ada@fabrikam.example")
	bare := []byte(`{"id": "10019", "key": "ITH-19", "fields": {"project": {"key": "ITH"},
		"reporter": {"accountId": "712020:1", "displayName": "Ada", "emailAddress": "ada@fabrikam.example"}}}`)

	got, err := s.processor.Simulate(context.Background(), s.hook, bare)

	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	want := fieldlink.Outcome{
		IssueKey: "ITH-19", Reporter: "Ada <ada@fabrikam.example>",
		Items: map[string]string{},
		Rule:  "Paris", Rules: []string{"Paris"},
		FieldsWritten: []string{"customfield_10050"}, LabelsAdded: []string{"paris"},
		Commented: true, ParticipantsAdded: []string{"712020:1"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("outcome (-got +want):\n%s", diff)
	}
	is := s.site.issue("ITH-19")
	if s.site.puts != 0 || len(is.comments) != 0 || len(is.participants) != 0 {
		t.Errorf("Simulate wrote to Jira: %d edits, comments %v, participants %v", s.site.puts, is.comments, is.participants)
	}
	if ev := s.event(t, id); ev.Status != fieldlink.EventPending || ev.Outcome != nil {
		t.Errorf("stored event = %q %+v, want it untouched", ev.Status, ev.Outcome)
	}
}

func TestSimulateReportsEditScreen(t *testing.T) {
	s := newSetup(t)
	s.items.EvaluateFunc = paris
	s.store.rules = []fieldlink.Rule{{Name: "R", Fields: map[string]json.RawMessage{"customfield_10099": json.RawMessage(`"x"`)}}}
	body := []byte(`{"webhookEvent": "jira:issue_created", "issue": {"id": "1", "key": "ITH-20", "fields": {"project": {"key": "ITH"},
		"reporter": {"accountId": "712020:1", "emailAddress": "ada@fabrikam.example"}}}}`)

	got, err := s.processor.Simulate(context.Background(), s.hook, body)

	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	if !strings.Contains(got.Reason, "field customfield_10099 is not on the issue's edit screen") {
		t.Errorf("reason = %q, want the field that is not on the screen", got.Reason)
	}
	if len(got.FieldsWritten) != 0 {
		t.Errorf("fields written = %v, want none", got.FieldsWritten)
	}
}
