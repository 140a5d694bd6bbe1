package jiracloud

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// firstChangelogID is the ID of the first changelog on the site.
const firstChangelogID = 10100

// changeItem is one item of a changelog, in the shape of Jira Cloud's
// jira:issue_updated webhook. From and To are IDs, such as option IDs of a
// select field, and FromString and ToString are the text shown to people. A
// nil member is JSON null, as Jira sends for a value that does not apply.
type changeItem struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	FieldID    string  `json:"fieldId"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

// fieldState is a field's value as a changelog shows it.
type fieldState struct {
	id, text *string
}

// UpdateIssue changes fields of the issue with the key or ID as actor, such
// as an agent editing it, and delivers jira:issue_updated with the changelog
// to every registered webhook before it returns. fields has the shape of
// the "fields" object of PUT /rest/api/3/issue/{key}; each value is encoded
// as JSON, so a json.RawMessage is sent as it is.
//
// The edit is applied even when a delivery fails; the error then names the
// webhooks that did not accept it. An invalid field changes nothing.
func (s *Server) UpdateIssue(ctx context.Context, key string, fields map[string]any, actor Account) error {
	req := editRequest{Fields: map[string]json.RawMessage{}}
	for id, v := range fields {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("update issue %s: encode field %s: %w", key, id, err)
		}
		req.Fields[id] = raw
	}

	base := s.base(nil)
	s.mu.Lock()
	is := s.findIssue(key)
	if is == nil {
		s.mu.Unlock()
		return fmt.Errorf("update issue %q: no such issue", key)
	}
	changes, fieldErrors := s.validateEdit(req)
	if len(fieldErrors) > 0 {
		s.mu.Unlock()
		return fmt.Errorf("update issue %s: %s", is.key, joinFieldErrors(fieldErrors))
	}
	deliveries, err := s.applyChanges(is, changes, actor, base)
	s.mu.Unlock()
	if err != nil {
		return err
	}

	s.opts.Logger.Info("issue updated", "issue", is.key, "actor", actor.normalized().AccountID, "webhooks", len(deliveries))
	return s.deliverAll(ctx, is.key, deliveries)
}

// applyChanges applies validated changes made by actor and returns the
// jira:issue_updated deliveries for them, none when no value changed, as
// Jira records no changelog then. The caller holds mu and sends them.
func (s *Server) applyChanges(is *issue, changes []change, actor Account, base string) ([]*delivery, error) {
	before := map[string]fieldState{}
	for _, c := range changes {
		if _, ok := before[c.field.id]; !ok {
			before[c.field.id] = is.state(c.field)
		}
	}

	for _, c := range changes {
		is.apply(c)
	}
	is.updated = s.opts.Now()

	var items []changeItem
	for _, id := range sortedKeys(before) {
		f := s.field(id)
		after := is.state(f)
		if equalState(before[id], after) {
			continue
		}
		items = append(items, newChangeItem(f, before[id], after))
	}
	if len(items) == 0 {
		return nil, nil
	}

	changelogID := strconv.Itoa(firstChangelogID + s.changeCount)
	s.changeCount++
	body, err := json.Marshal(map[string]any{
		"timestamp":             is.updated.UnixMilli(),
		"webhookEvent":          "jira:issue_updated",
		"issue_event_type_name": "issue_updated",
		"user":                  userJSON(actor, base, "2"),
		"issue":                 s.issueJSON(is, base, "2"),
		"changelog":             map[string]any{"id": changelogID, "items": items},
	})
	if err != nil {
		return nil, fmt.Errorf("encode jira:issue_updated webhook for %s: %w", is.key, err)
	}
	return s.newDeliveries("jira:issue_updated", body), nil
}

// state returns the field's current value as a changelog shows it.
func (is *issue) state(f *field) fieldState {
	text := func(s string) fieldState {
		if s == "" {
			return fieldState{}
		}
		return fieldState{text: &s}
	}

	switch f.kind {
	case kindSummary:
		return text(is.summary)
	case kindLabels:
		labels := append([]string(nil), is.labels...)
		sort.Strings(labels)
		return text(strings.Join(labels, " "))
	case kindSelect:
		o, ok := is.values[f.id].(option)
		if !ok {
			return fieldState{}
		}
		return fieldState{id: &o.id, text: &o.value}
	}
	v, _ := is.values[f.id].(string)
	return text(v)
}

func equalState(a, b fieldState) bool {
	return deref(a.id) == deref(b.id) && (a.id == nil) == (b.id == nil) &&
		deref(a.text) == deref(b.text) && (a.text == nil) == (b.text == nil)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// newChangeItem describes one field's change. System fields are named by
// their ID with fieldtype "jira", and custom fields by their name with
// fieldtype "custom", as in Jira Cloud's changelog.
func newChangeItem(f *field, from, to fieldState) changeItem {
	item := changeItem{
		Field:      f.id,
		FieldType:  "jira",
		FieldID:    f.id,
		From:       from.id,
		FromString: from.text,
		To:         to.id,
		ToString:   to.text,
	}
	if strings.HasPrefix(f.id, "customfield_") {
		item.Field = f.name
		item.FieldType = "custom"
	}

	// Jira writes an empty string, not null, for the text of a cleared
	// system field such as labels.
	if item.FieldType == "jira" {
		empty := ""
		if item.FromString == nil {
			item.FromString = &empty
		}
		if item.ToString == nil {
			item.ToString = &empty
		}
	}
	return item
}

// sendInBackground delivers after the REST response, as Jira does, until
// Close stops it.
func (s *Server) sendInBackground(key string, deliveries []*delivery) {
	if len(deliveries) == 0 {
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		if err := s.deliverAll(s.stopCtx, key, deliveries); err != nil {
			s.opts.Logger.Warn("webhook of an issue edit not delivered", "issue", key, "err", err)
		}
	}()
}

// WaitDeliveries waits until the webhooks of earlier REST edits have been
// delivered, or given up on. Call it when no REST edit is in flight.
func (s *Server) WaitDeliveries() {
	s.background.Wait()
}

// joinFieldErrors lists Jira's field errors in field order.
func joinFieldErrors(fieldErrors map[string]string) string {
	parts := make([]string, 0, len(fieldErrors))
	for _, id := range sortedKeys(fieldErrors) {
		parts = append(parts, id+": "+fieldErrors[id])
	}
	return strings.Join(parts, "; ")
}
