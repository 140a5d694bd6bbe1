package rule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/fieldlink/fieldlink"
)

// Actions are the changes that the matched rules make to an issue, with
// every ${…} placeholder rendered.
type Actions struct {
	// Rules are the names of the rules whose actions these are, in order.
	Rules []string

	// Fields maps a field ID to its value. A later rule's value wins.
	Fields map[string]json.RawMessage

	// FieldRules maps a field ID to the name of the rule whose value it
	// holds, for messages about that field.
	FieldRules map[string]string

	// AddLabels are the labels of all rules, without duplicates, in order.
	AddLabels []string

	// Comments are the comments of all rules, in order.
	Comments []Comment

	// RequestParticipants are the account IDs of all rules, without
	// duplicates, in order.
	RequestParticipants []string
}

// Comment is one comment to post.
type Comment struct {
	Rule     string
	Text     string
	Internal bool
}

// Empty reports whether the actions change nothing.
func (a Actions) Empty() bool {
	return len(a.Fields) == 0 && len(a.AddLabels) == 0 && len(a.Comments) == 0 && len(a.RequestParticipants) == 0
}

// FieldIDs returns the IDs of the fields to set, sorted.
func (a Actions) FieldIDs() []string {
	return slices.Sorted(maps.Keys(a.Fields))
}

// Plan renders the actions of rules, which are applied in the order given,
// over env. A placeholder without a value fails the whole plan with a
// *MissingValueError, so that no action runs on an issue that would be left
// half-written.
func Plan(rules []fieldlink.Rule, env Env) (Actions, error) {
	vars, err := evaluationEnv(env)
	if err != nil {
		return Actions{}, err
	}

	a := Actions{Fields: map[string]json.RawMessage{}, FieldRules: map[string]string{}}
	for _, r := range rules {
		if err := a.add(r, vars); err != nil {
			return Actions{}, err
		}
	}
	return a, nil
}

// add renders one rule's actions into a.
func (a *Actions) add(r fieldlink.Rule, vars map[string]any) error {
	a.Rules = append(a.Rules, r.Name)

	for _, id := range slices.Sorted(maps.Keys(r.Fields)) {
		value, err := renderJSON(r.Fields[id], vars)
		if err != nil {
			return actionError(r.Name, "fields."+id, err)
		}
		a.Fields[id] = value
		a.FieldRules[id] = r.Name
	}

	for _, src := range r.AddLabels {
		label, err := renderText(src, vars)
		if err != nil {
			return actionError(r.Name, "addLabels", err)
		}
		if !slices.Contains(a.AddLabels, label) {
			a.AddLabels = append(a.AddLabels, label)
		}
	}

	if r.Comment != "" {
		text, err := renderText(r.Comment, vars)
		if err != nil {
			return actionError(r.Name, "comment", err)
		}
		a.Comments = append(a.Comments, Comment{Rule: r.Name, Text: text, Internal: r.CommentInternal})
	}

	for _, src := range r.RequestParticipants {
		id, err := renderText(src, vars)
		if err != nil {
			return actionError(r.Name, "requestParticipants", err)
		}
		if !slices.Contains(a.RequestParticipants, id) {
			a.RequestParticipants = append(a.RequestParticipants, id)
		}
	}
	return nil
}

// actionError names the rule and the action of a rendering failure.
func actionError(rule, action string, err error) error {
	var missing *missingValue
	if errors.As(err, &missing) {
		return &MissingValueError{Rule: rule, Action: action, Expr: missing.expr}
	}
	return fmt.Errorf("rule %q: %s: %w", rule, action, err)
}

func renderText(src string, vars map[string]any) (string, error) {
	t, err := compileTemplate(src)
	if err != nil {
		return "", err
	}
	return t.render(vars)
}

// renderJSON renders the placeholders in every string value of a JSON
// value, at any depth. The result is encoded again, so a rendered value
// holding quotes, backslashes or line breaks stays one JSON string.
func renderJSON(raw json.RawMessage, vars map[string]any) (json.RawMessage, error) {
	if !bytes.Contains(raw, []byte("${")) {
		return raw, nil
	}

	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil, fmt.Errorf("decode value: %w", err)
	}
	if decoder.More() {
		return nil, fmt.Errorf("decode value: data after the first JSON value")
	}

	rendered, err := renderValue(value, vars)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(rendered); err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	return json.RawMessage(bytes.TrimSpace(out.Bytes())), nil
}

func renderValue(value any, vars map[string]any) (any, error) {
	switch v := value.(type) {
	case string:
		return renderText(v, vars)

	case map[string]any:
		for key, element := range v {
			rendered, err := renderValue(element, vars)
			if err != nil {
				return nil, err
			}
			v[key] = rendered
		}

	case []any:
		for i, element := range v {
			rendered, err := renderValue(element, vars)
			if err != nil {
				return nil, err
			}
			v[i] = rendered
		}
	}
	return value, nil
}
