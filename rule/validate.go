package rule

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// Validate checks a rule when it is saved. It fails with a *fieldlink.Error
// of code EInvalid whose message names the field: name, condition (which must
// compile to a bool over the context and items), fields.<id> (which must
// hold valid JSON under a non-empty Jira field ID), or the action whose
// ${…} placeholder does not compile or names an item by a computed name.
func Validate(r fieldlink.Rule) error {
	if strings.TrimSpace(r.Name) == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "name is required; name the rule after the tickets it routes")
	}

	if r.Condition != "" {
		if _, err := compileCondition(r.Condition); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "condition %q is invalid: %v; write an expression that is true or false, for example items[\"Reporter office\"] == \"Paris\"", r.Condition, err)
		}
		if _, err := conditionItemNames(r.Condition); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "%v", err)
		}
	}

	for _, id := range slices.Sorted(maps.Keys(r.Fields)) {
		if strings.TrimSpace(id) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "fields contains an empty field ID; use a Jira field ID such as summary, labels or customfield_10050")
		}

		value := r.Fields[id]
		if len(value) == 0 || !json.Valid(value) {
			return fieldlink.Errorf(fieldlink.EInvalid, `fields.%s must be valid JSON in the shape Jira expects for the field, for example "text" or {"value": "Paris"}`, id)
		}
	}

	for _, label := range r.AddLabels {
		if strings.TrimSpace(label) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "addLabels contains an empty label; remove it or write a label such as vip")
		}
	}
	for _, id := range r.RequestParticipants {
		if strings.TrimSpace(id) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "requestParticipants contains an empty account ID; remove it or write an account ID such as ${reporter.accountId}")
		}
	}

	return eachTemplate(r, func(action, src string) error {
		if _, err := compileTemplate(src); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "%s template %q is invalid: %v", action, src, err)
		}
		if _, err := templateItemNames(src); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "%s template %q is invalid: %v", action, src, err)
		}
		return nil
	})
}
