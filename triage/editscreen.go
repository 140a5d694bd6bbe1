package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fieldlink/fieldlink/jira"
)

// checkEditScreen reads the issue's edit screen and fails, for good, when a
// planned field is not on it or a planned option is not among the field's
// allowed values. Jira would reject the whole edit with 400 anyway, and
// these messages say which rule to fix.
func (p *Processor) checkEditScreen(ctx context.Context, pl *plan) error {
	a := pl.actions
	if len(a.Fields) == 0 && len(a.AddLabels) == 0 {
		return nil
	}

	meta, err := p.Jira.EditMeta(ctx, pl.ds, pl.key)
	if err != nil {
		return jiraFailure(wrapIssue(pl.key, "read the edit screen of", err))
	}

	for _, id := range a.FieldIDs() {
		field, ok := meta[id]
		if !ok {
			return fmt.Errorf("field %s is not on the issue's edit screen (issue %s): add it to the screen in Jira or remove it from rule %q", id, pl.key, a.FieldRules[id])
		}
		if err := checkAllowed(id, field, a.Fields[id]); err != nil {
			return fmt.Errorf("issue %s: %w. Change rule %q or add the option in Jira", pl.key, err, a.FieldRules[id])
		}
	}

	if _, ok := meta["labels"]; len(a.AddLabels) > 0 && !ok {
		return fmt.Errorf("field labels is not on the issue's edit screen (issue %s): add it to the screen in Jira or remove the labels from rule %s", pl.key, quotedNames(a.Rules))
	}
	return nil
}

// checkAllowed checks a planned value of a field with allowed values: a
// select option ({"value": …}, {"id": …} or {"name": …}) or a list of them.
// Fields without allowed values, and null, which clears a field, pass.
func checkAllowed(id string, field jira.FieldMeta, raw json.RawMessage) error {
	if len(field.AllowedValues) == 0 {
		return nil
	}

	var value any
	if err := json.Unmarshal(raw, &value); err != nil {
		return fmt.Errorf("decode value of field %s: %w", id, err)
	}
	choices, ok := value.([]any)
	if !ok {
		choices = []any{value}
	}

	for _, choice := range choices {
		option, ok := choice.(map[string]any)
		if !ok {
			continue
		}
		if !allowed(field.AllowedValues, option) {
			return fmt.Errorf("value %s of field %s (%s) is not an allowed option. Allowed values: %s",
				compactJSON(choice), id, field.Name, allowedLabels(field.AllowedValues))
		}
	}
	return nil
}

// allowed reports whether an option names one of the allowed values by
// id, value or name.
func allowed(values []jira.AllowedValue, option map[string]any) bool {
	id, _ := option["id"].(string)
	value, _ := option["value"].(string)
	name, _ := option["name"].(string)

	for _, v := range values {
		switch {
		case id != "" && v.ID == id:
			return true
		case id == "" && value != "" && v.Value == value:
			return true
		case id == "" && value == "" && name != "" && v.Name == name:
			return true
		}
	}
	return false
}

func allowedLabels(values []jira.AllowedValue) string {
	labels := make([]string, len(values))
	for i, v := range values {
		labels[i] = fmt.Sprintf("%q", v.Label())
	}
	return strings.Join(labels, ", ")
}

func compactJSON(v any) string {
	var b bytes.Buffer
	encoder := json.NewEncoder(&b)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}
