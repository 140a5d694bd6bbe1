package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
)

// issueHolds reports whether the issue already holds every planned field
// value and label, which means an earlier run's edit landed.
func (p *Processor) issueHolds(ctx context.Context, pl *plan) (bool, error) {
	a := pl.actions
	ids := a.FieldIDs()
	if len(a.AddLabels) > 0 && !slices.Contains(ids, "labels") {
		ids = append(ids, "labels")
	}

	current, err := p.Jira.IssueFields(ctx, pl.ds, pl.key, ids)
	if err != nil {
		return false, jiraFailure(wrapIssue(pl.key, "read", err))
	}

	for id, planned := range a.Fields {
		if !holds(decode(planned), decode(current[id])) {
			return false, nil
		}
	}

	var labels []string
	if raw, ok := current["labels"]; ok {
		json.Unmarshal(raw, &labels)
	}
	for _, label := range a.AddLabels {
		if !slices.Contains(labels, label) {
			return false, nil
		}
	}
	return true, nil
}

// holds reports whether current contains planned: equal scalars, a list of
// the same length whose elements hold, or an object with every planned
// member. Jira returns more members than a rule writes, such as an option's
// "self" and "id" beside its "value".
func holds(planned, current any) bool {
	switch planned := planned.(type) {
	case map[string]any:
		object, ok := current.(map[string]any)
		if !ok {
			return false
		}
		for key, value := range planned {
			if !holds(value, object[key]) {
				return false
			}
		}
		return true

	case []any:
		list, ok := current.([]any)
		if !ok || len(list) != len(planned) {
			return false
		}
		for i := range planned {
			if !holds(planned[i], list[i]) {
				return false
			}
		}
		return true
	}
	return planned == current
}

// decode decodes a JSON value with numbers as json.Number, so that they
// compare by their text; an absent or invalid value is nil.
func decode(raw json.RawMessage) any {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil
	}
	return value
}
