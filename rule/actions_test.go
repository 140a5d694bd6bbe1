package rule

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestInSetAndMatchAll(t *testing.T) {
	rules := []fieldlink.Rule{
		{Name: "Fallback", Position: 99, RuleSet: "emea"},
		{Name: "Paris", Position: 10, RuleSet: "emea", Condition: `items["Reporter office"] == "Paris"`},
		{Name: "France", Position: 5, RuleSet: "emea", Condition: `items["Reporter office"] in ["Paris", "Lyon"]`},
		{Name: "Other set", Position: 1, RuleSet: "apac"},
		{Name: "Default set", Position: 1},
	}

	matched, err := MatchAll(InSet(rules, "emea"), Env{Context: ticket(), Items: results("Paris")})

	if err != nil {
		t.Fatalf("MatchAll: %v", err)
	}
	var names []string
	for _, r := range matched {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff(names, []string{"France", "Paris", "Fallback"}); diff != "" {
		t.Errorf("matched rules (-got +want):\n%s", diff)
	}

	first, ok, err := Match(InSet(rules, ""), Env{Context: ticket()})
	if err != nil || !ok || first.Name != "Default set" {
		t.Errorf("Match in the default set = %q, %v, %v; want Default set", first.Name, ok, err)
	}
}

func TestPlanMergesActions(t *testing.T) {
	rules := []fieldlink.Rule{
		{Name: "France", Fields: map[string]json.RawMessage{
			"customfield_10050": json.RawMessage(`{"value": "France IT"}`),
			"customfield_10052": json.RawMessage(`"${items[\"Reporter office\"]}"`),
		}, AddLabels: []string{"france", "routed"}, Comment: "Routed to France IT", RequestParticipants: []string{"${reporter.accountId}"}},
		{Name: "Paris", Fields: map[string]json.RawMessage{
			"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`),
		}, AddLabels: []string{"routed", "paris"}, Comment: "Office: ${items[\"Reporter office\"]}", CommentInternal: true,
			RequestParticipants: []string{"${reporter.accountId}", "712020:lead"}},
	}

	got, err := Plan(rules, Env{Context: ticket(), Items: results("Paris")})

	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	want := Actions{
		Rules: []string{"France", "Paris"},
		Fields: map[string]json.RawMessage{
			"customfield_10050": json.RawMessage(`{"value": "Paris IT"}`),
			"customfield_10052": json.RawMessage(`"Paris"`),
		},
		FieldRules: map[string]string{"customfield_10050": "Paris", "customfield_10052": "France"},
		AddLabels:  []string{"france", "routed", "paris"},
		Comments: []Comment{
			{Rule: "France", Text: "Routed to France IT"},
			{Rule: "Paris", Text: "Office: Paris", Internal: true},
		},
		RequestParticipants: []string{"5b10a2844c20165700ede21g", "712020:lead"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("actions (-got +want):\n%s", diff)
	}
}

func TestPlanHostileValuesStayJSON(t *testing.T) {
	hostile := "Paris \"HQ\" \\ 2nd floor\nline two\t</script>"
	items := map[string]fieldlink.ItemResult{"Reporter office": {Values: []string{hostile}, Text: hostile}}
	rules := []fieldlink.Rule{{Name: "Office", Fields: map[string]json.RawMessage{
		"customfield_10052": json.RawMessage(`"${items[\"Reporter office\"]}"`),
		"customfield_10050": json.RawMessage(`{"value": "Office ${items[\"Reporter office\"]}", "n": 12345678901234567890}`),
		"description":       json.RawMessage(`[{"text": "${items[\"Reporter office\"]}"}]`),
	}}}

	got, err := Plan(rules, Env{Context: ticket(), Items: items})

	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var text string
	if err := json.Unmarshal(got.Fields["customfield_10052"], &text); err != nil || text != hostile {
		t.Errorf("customfield_10052 = %s (%v), want the office as one JSON string", got.Fields["customfield_10052"], err)
	}
	var option struct {
		Value string      `json:"value"`
		N     json.Number `json:"n"`
	}
	if err := json.Unmarshal(got.Fields["customfield_10050"], &option); err != nil || option.Value != "Office "+hostile {
		t.Errorf("customfield_10050 = %s (%v)", got.Fields["customfield_10050"], err)
	}
	if option.N != "12345678901234567890" {
		t.Errorf("number n = %s, want it unchanged", option.N)
	}
	var list []map[string]string
	if err := json.Unmarshal(got.Fields["description"], &list); err != nil || len(list) != 1 || list[0]["text"] != hostile {
		t.Errorf("description = %s (%v)", got.Fields["description"], err)
	}
}

func TestPlanMissingValue(t *testing.T) {
	tests := []struct {
		name   string
		rule   fieldlink.Rule
		action string
	}{
		{"field", fieldlink.Rule{Name: "R", Fields: map[string]json.RawMessage{"summary": json.RawMessage(`"${items.manager}"`)}}, "fields.summary"},
		{"label", fieldlink.Rule{Name: "R", AddLabels: []string{"office-${items.manager}"}}, "addLabels"},
		{"comment", fieldlink.Rule{Name: "R", Comment: "Manager ${itemValues.manager}"}, "comment"},
		{"participant", fieldlink.Rule{Name: "R", RequestParticipants: []string{"${reporter.manager.accountId}"}}, "requestParticipants"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan([]fieldlink.Rule{tt.rule}, Env{Context: ticket(), Items: results("")})

			var missing *MissingValueError
			if !errors.As(err, &missing) {
				t.Fatalf("Plan error = %v, want *MissingValueError", err)
			}
			if missing.Action != tt.action || missing.Rule != "R" {
				t.Errorf("missing value in %q of rule %q, want %q of R", missing.Action, missing.Rule, tt.action)
			}
		})
	}
}

func TestPlanDefaultAllowsEmpty(t *testing.T) {
	rules := []fieldlink.Rule{{Name: "R", Comment: `Manager: ${items.manager ?? ""}.`}}

	got, err := Plan(rules, Env{Context: ticket()})

	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if got.Comments[0].Text != "Manager: ." {
		t.Errorf("comment = %q", got.Comments[0].Text)
	}
}

func TestItemNamesReadsTemplates(t *testing.T) {
	rules := []fieldlink.Rule{{
		Name:                "R",
		Fields:              map[string]json.RawMessage{"summary": json.RawMessage(`{"a": ["${items[\"Office\"]}"]}`)},
		AddLabels:           []string{"${items.label}"},
		Comment:             `${join(itemValues["Groups"], ", ")}`,
		RequestParticipants: []string{`${items["Manager id"]}`},
	}}

	got, err := ItemNames(rules)

	if err != nil {
		t.Fatalf("ItemNames: %v", err)
	}
	if diff := cmp.Diff(got, []string{"Groups", "Manager id", "Office", "label"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
}

func TestValidateTemplates(t *testing.T) {
	tests := []struct {
		name string
		rule fieldlink.Rule
		want string
	}{
		{"unclosed placeholder", fieldlink.Rule{Name: "r", Comment: "Hi ${reporter.displayName"}, "comment template"},
		{"syntax error in field", fieldlink.Rule{Name: "r", Fields: map[string]json.RawMessage{"summary": json.RawMessage(`"${items[}"`)}}, "fields.summary template"},
		{"computed item name", fieldlink.Rule{Name: "r", AddLabels: []string{"${items[userInput]}"}}, "must name the item with a string"},
		{"unknown variable", fieldlink.Rule{Name: "r", RequestParticipants: []string{"${manager}"}}, "requestParticipants template"},
		{"empty label", fieldlink.Rule{Name: "r", AddLabels: []string{" "}}, "empty label"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.rule)

			var fe *fieldlink.Error
			if !errors.As(err, &fe) || fe.Code != fieldlink.EInvalid {
				t.Fatalf("Validate error = %v, want an EInvalid *fieldlink.Error", err)
			}
			if !strings.Contains(fe.Message, tt.want) {
				t.Errorf("message %q does not contain %q", fe.Message, tt.want)
			}
		})
	}

	valid := fieldlink.Rule{Name: "r", Comment: `Office ${items["Reporter office"] ?? "unknown"}`, AddLabels: []string{"office-${items.office}"}}
	if err := Validate(valid); err != nil {
		t.Errorf("Validate(valid templates): %v", err)
	}
}
