package rule

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func ticket() fieldlink.TicketContext {
	return fieldlink.TicketContext{
		Reporter:  &fieldlink.User{AccountID: "5b10a2844c20165700ede21g", EmailAddress: "ada@example.com"},
		Project:   map[string]any{"key": "HELP"},
		IssueType: map[string]any{"name": "Incident"},
		Issue: map[string]any{
			"key":    "HELP-7",
			"fields": map[string]any{"priority": map[string]any{"name": "High"}, "labels": []any{"vpn"}},
		},
	}
}

func results(office string, phones ...string) map[string]fieldlink.ItemResult {
	values := []string{}
	if office != "" {
		values = append(values, office)
	}
	return map[string]fieldlink.ItemResult{
		"Reporter office": {Values: values, Text: strings.Join(values, ", ")},
		"phones":          {Values: phones, Text: strings.Join(phones, ", ")},
	}
}

func field(value string) map[string]json.RawMessage {
	return map[string]json.RawMessage{"customfield_10050": json.RawMessage(value)}
}

var routingRules = []fieldlink.Rule{
	{ID: "r-default", Name: "Everything else", Position: 100, Fields: field(`{"value": "Service desk"}`)},
	{ID: "r-lyon", Name: "Lyon", Position: 20, Condition: `items["Reporter office"] in ["Lyon", "Grenoble"]`, Fields: field(`{"value": "Lyon IT"}`)},
	{ID: "r-paris-b", Name: "Paris B", Position: 10, Condition: `items["Reporter office"] == "Paris"`, Fields: field(`{"value": "Paris IT B"}`)},
	{ID: "r-paris-a", Name: "Paris A", Position: 10, Condition: `items["Reporter office"] == "Paris"`, Fields: field(`{"value": "Paris IT A"}`)},
	{ID: "r-vip", Name: "VIP", Position: 5, Condition: `issue.fields.priority.name == "Highest" && project.key == "HELP"`, Fields: field(`{"value": "VIP"}`)},
}

func TestMatchOrder(t *testing.T) {
	tests := []struct {
		name   string
		office string
		want   string
	}{
		{name: "position then name", office: "Paris", want: "r-paris-a"},
		{name: "in list", office: "Grenoble", want: "r-lyon"},
		{name: "default rule", office: "Berlin", want: "r-default"},
		{name: "no value falls to default", office: "", want: "r-default"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Match(routingRules, Env{Context: ticket(), Items: results(tt.office)})

			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if !ok {
				t.Fatal("Match found no rule")
			}
			if got.ID != tt.want {
				t.Errorf("matched %q, want %q", got.ID, tt.want)
			}
		})
	}
}

func TestMatchDoesNotReorderInput(t *testing.T) {
	rules := append([]fieldlink.Rule(nil), routingRules...)

	if _, _, err := Match(rules, Env{Context: ticket(), Items: results("Paris")}); err != nil {
		t.Fatal(err)
	}

	if diff := cmp.Diff(rules, routingRules); diff != "" {
		t.Errorf("Match changed its input (-got +want):\n%s", diff)
	}
}

func TestMatchNone(t *testing.T) {
	rules := routingRules[1:]

	got, ok, err := Match(rules, Env{Context: ticket(), Items: results("Berlin")})

	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if ok {
		t.Errorf("Match returned %q, want no match", got.Name)
	}
}

func TestMatchConditions(t *testing.T) {
	tests := []struct {
		condition string
		tc        fieldlink.TicketContext
		items     map[string]fieldlink.ItemResult
		want      bool
	}{
		{condition: `itemValues["phones"] == ["+33 1", "+33 2"]`, tc: ticket(), items: results("", "+33 1", "+33 2"), want: true},
		{condition: `"+33 2" in itemValues.phones`, tc: ticket(), items: results("", "+33 1", "+33 2"), want: true},
		{condition: `items.phones == "+33 1, +33 2"`, tc: ticket(), items: results("", "+33 1", "+33 2"), want: true},
		{condition: `items["Not evaluated"] == ""`, tc: ticket(), items: results("Paris"), want: true},
		{condition: `len(itemValues["Not evaluated"]) == 0`, tc: ticket(), items: results("Paris"), want: true},
		{condition: `reporter.emailAddress endsWith "@example.com"`, tc: ticket(), want: true},
		{condition: `reporter.emailAddress endsWith "@example.com"`, tc: fieldlink.TicketContext{}, want: false},
		{condition: `"vpn" in issue.fields.labels`, tc: ticket(), want: true},
		{condition: `issueType.name == "Incident" and project.key == "HELP"`, tc: ticket(), want: true},
		{condition: `issue.fields.customfield_1.value == "x"`, tc: ticket(), want: false},
		{condition: `issue.fields.absent`, tc: ticket(), want: false},
	}

	for _, tt := range tests {
		t.Run(tt.condition, func(t *testing.T) {
			r := fieldlink.Rule{Name: "test", Condition: tt.condition}

			_, ok, err := Match([]fieldlink.Rule{r}, Env{Context: tt.tc, Items: tt.items})

			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if ok != tt.want {
				t.Errorf("condition held = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestMatchEvaluationErrorNamesRule(t *testing.T) {
	rules := []fieldlink.Rule{
		{Name: "Bad", Position: 1, Condition: `reporter.emailAddress`},
		{Name: "Default", Position: 2},
	}

	_, ok, err := Match(rules, Env{Context: ticket()})

	if err == nil {
		t.Fatalf("Match succeeded (ok %v), want an error for a string condition", ok)
	}
	if !strings.Contains(err.Error(), `rule "Bad"`) {
		t.Errorf("error %q does not name the rule", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans several lines", err)
	}
}

func TestItemNames(t *testing.T) {
	rules := []fieldlink.Rule{
		{Name: "a", Condition: `items["Reporter office"] == "Paris" || itemValues["Manager"] == []`},
		{Name: "b", Condition: `items.office in ["x"] && items["Reporter office"] != ""`},
		{Name: "c", Condition: `reporter.emailAddress == 'items["Decoy"]' && project.key == "HELP"`},
		{Name: "d", Condition: `len(filter(itemValues["Groups"], # startsWith "IT")) > 0`},
		{Name: "default"},
	}

	got, err := ItemNames(rules)

	if err != nil {
		t.Fatalf("ItemNames: %v", err)
	}
	want := []string{"Groups", "Manager", "Reporter office", "office"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}
}

func TestItemNamesErrors(t *testing.T) {
	tests := []struct {
		condition string
		want      string
	}{
		{condition: `items[userInput] == "x"`, want: "must name the item with a string"},
		{condition: `items["a"] ==`, want: "condition"},
	}

	for _, tt := range tests {
		_, err := ItemNames([]fieldlink.Rule{{Name: "Broken", Condition: tt.condition}})

		if err == nil {
			t.Errorf("ItemNames(%q) succeeded, want an error", tt.condition)
			continue
		}
		if !strings.Contains(err.Error(), `rule "Broken"`) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ItemNames(%q) error %q, want the rule's name and %q", tt.condition, err, tt.want)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, r := range routingRules {
		if err := Validate(r); err != nil {
			t.Errorf("Validate(%q): %v", r.Name, err)
		}
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name string
		rule fieldlink.Rule
		want []string
	}{
		{
			name: "string condition",
			rule: fieldlink.Rule{Name: "r", Condition: `items["Reporter office"]`},
			want: []string{"condition", "expected bool, but got string"},
		},
		{
			name: "number condition",
			rule: fieldlink.Rule{Name: "r", Condition: `len(itemValues["x"])`},
			want: []string{"condition", "expected bool"},
		},
		{
			name: "syntax error",
			rule: fieldlink.Rule{Name: "r", Condition: `items["a"] == "b" &&`},
			want: []string{"condition", "at character"},
		},
		{
			name: "unknown variable",
			rule: fieldlink.Rule{Name: "r", Condition: `item["a"] == "b"`},
			want: []string{"condition", "unknown name item"},
		},
		{
			name: "computed item name",
			rule: fieldlink.Rule{Name: "r", Condition: `items[userInput] == "b"`},
			want: []string{"condition", "must name the item with a string"},
		},
		{
			name: "missing name",
			rule: fieldlink.Rule{Condition: `true`},
			want: []string{"name is required"},
		},
		{
			name: "empty field ID",
			rule: fieldlink.Rule{Name: "r", Fields: map[string]json.RawMessage{" ": json.RawMessage(`"x"`)}},
			want: []string{"fields", "empty field ID"},
		},
		{
			name: "invalid JSON value",
			rule: fieldlink.Rule{Name: "r", Fields: map[string]json.RawMessage{"summary": json.RawMessage(`{"value": `)}},
			want: []string{"fields.summary", "valid JSON"},
		},
		{
			name: "empty value",
			rule: fieldlink.Rule{Name: "r", Fields: map[string]json.RawMessage{"labels": nil}},
			want: []string{"fields.labels", "valid JSON"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.rule)

			var fe *fieldlink.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Validate error = %v, want *fieldlink.Error", err)
			}
			if fe.Code != fieldlink.EInvalid {
				t.Errorf("Code = %q, want %q", fe.Code, fieldlink.EInvalid)
			}
			for _, want := range tt.want {
				if !strings.Contains(fe.Message, want) {
					t.Errorf("message %q does not contain %q", fe.Message, want)
				}
			}
		})
	}
}

func TestValidateRejectsReporterFieldTypo(t *testing.T) {
	r := fieldlink.Rule{Name: "typo", Condition: `reporter.emailAdress == "a@example.com"`,
		Fields: map[string]json.RawMessage{"summary": json.RawMessage(`"x"`)}}

	err := Validate(r)

	if err == nil || !strings.Contains(err.Error(), "reporter.emailAdress is not a field of reporter") {
		t.Errorf("Validate = %v, want the typo named", err)
	}
}
