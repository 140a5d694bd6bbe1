package rule

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/fieldlink/fieldlink"
)

// eachTemplate calls fn with every template of the rule's actions and the
// action it belongs to: each string inside a field's JSON value, each
// label, the comment and each request participant. It stops at fn's first
// error. A field value that is not valid JSON is skipped; Validate reports
// it.
func eachTemplate(r fieldlink.Rule, fn func(action, src string) error) error {
	for _, id := range slices.Sorted(maps.Keys(r.Fields)) {
		var value any
		if err := json.Unmarshal(r.Fields[id], &value); err != nil {
			continue
		}
		if err := eachString(value, func(s string) error { return fn("fields."+id, s) }); err != nil {
			return err
		}
	}

	for _, label := range r.AddLabels {
		if err := fn("addLabels", label); err != nil {
			return err
		}
	}
	if r.Comment != "" {
		if err := fn("comment", r.Comment); err != nil {
			return err
		}
	}
	for _, id := range r.RequestParticipants {
		if err := fn("requestParticipants", id); err != nil {
			return err
		}
	}
	return nil
}

// eachString calls fn with every string in a decoded JSON value.
func eachString(value any, fn func(string) error) error {
	switch v := value.(type) {
	case string:
		return fn(v)
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			if err := eachString(v[key], fn); err != nil {
				return err
			}
		}
	case []any:
		for _, element := range v {
			if err := eachString(element, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
