package triage

import (
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// ownChange returns the fields, labels or comments that a jira:issue_updated
// webhook changed, joined with ", ", when the rules write every one of them,
// and "" otherwise. Such an update is most likely fieldlink's own write, so
// routing it again could loop.
//
// NOTE: the update's author is not compared with the datasource's account,
// so an agent's change to only those fields is skipped too.
func ownChange(rules []fieldlink.Rule, wh jira.Webhook) string {
	if wh.Event != fieldlink.EventIssueUpdated {
		return ""
	}
	written := writtenFields(rules)

	var changed []string
	changelog, _ := wh.Raw["changelog"].(map[string]any)
	items, _ := changelog["items"].([]any)
	for _, element := range items {
		change, _ := element.(map[string]any)
		id, _ := change["fieldId"].(string)
		if id == "" {
			id, _ = change["field"].(string)
		}
		name, _ := change["field"].(string)
		switch {
		case written[id]:
			changed = append(changed, id)
		case written[participantsField] && strings.EqualFold(name, "Request participants"):
			changed = append(changed, name)
		default:
			return ""
		}
	}

	// Jira sends a new comment as jira:issue_updated with the comment and,
	// when nothing else changed, no changelog items.
	if _, ok := wh.Raw["comment"]; ok && len(items) == 0 {
		if !written[commentField] {
			return ""
		}
		changed = append(changed, commentField)
	}

	if len(changed) == 0 {
		return ""
	}
	slices.Sort(changed)
	return strings.Join(slices.Compact(changed), ", ")
}

// Names in writtenFields for the actions that are not issue fields.
const (
	commentField      = "comment"
	participantsField = "request participants"
)

// writtenFields returns the field IDs the rules set, "labels" when they add
// labels, and commentField and participantsField for those actions.
func writtenFields(rules []fieldlink.Rule) map[string]bool {
	written := map[string]bool{}
	for _, r := range rules {
		for id := range r.Fields {
			written[id] = true
		}
		if len(r.AddLabels) > 0 {
			written["labels"] = true
		}
		if r.Comment != "" {
			written[commentField] = true
		}
		if len(r.RequestParticipants) > 0 {
			written[participantsField] = true
		}
	}
	return written
}
