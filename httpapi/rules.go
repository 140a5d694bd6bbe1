package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/rule"
)

// RuleBody is the JSON shape of a routing rule.
type RuleBody struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Position  int    `json:"position"`
	RuleSet   string `json:"ruleSet,omitempty"`
	Condition string `json:"condition,omitempty"`

	// The actions: a rule needs at least one of them.
	Fields              map[string]json.RawMessage `json:"fields,omitempty"`
	AddLabels           []string                   `json:"addLabels,omitempty"`
	Comment             string                     `json:"comment,omitempty"`
	CommentInternal     bool                       `json:"commentInternal,omitempty"`
	RequestParticipants []string                   `json:"requestParticipants,omitempty"`
}

func ruleToBody(r fieldlink.Rule) RuleBody {
	return RuleBody{
		ID:                  r.ID,
		Name:                r.Name,
		Position:            r.Position,
		RuleSet:             r.RuleSet,
		Condition:           r.Condition,
		Fields:              r.Fields,
		AddLabels:           r.AddLabels,
		Comment:             r.Comment,
		CommentInternal:     r.CommentInternal,
		RequestParticipants: r.RequestParticipants,
	}
}

func ruleFromBody(b RuleBody) fieldlink.Rule {
	return fieldlink.Rule{
		Name:                b.Name,
		Position:            b.Position,
		RuleSet:             b.RuleSet,
		Condition:           b.Condition,
		Fields:              b.Fields,
		AddLabels:           b.AddLabels,
		Comment:             b.Comment,
		CommentInternal:     b.CommentInternal,
		RequestParticipants: b.RequestParticipants,
	}
}

// listRules lists every rule, or with ?ruleSet= the rules of one set ("" is
// the default set).
func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	var (
		all []fieldlink.Rule
		err error
	)
	if query := r.URL.Query(); query.Has("ruleSet") {
		all, err = s.opts.Store.ListRulesInSet(r.Context(), query.Get("ruleSet"))
	} else {
		all, err = s.opts.Store.ListRules(r.Context())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ListBody[RuleBody]{Items: make([]RuleBody, 0, len(all))}
	for _, rl := range all {
		out.Items = append(out.Items, ruleToBody(rl))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) {
	rl, err := s.opts.Store.FindRule(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ruleToBody(rl))
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) {
	rl, ok := s.readRule(w, r)
	if !ok {
		return
	}
	if err := s.opts.Store.CreateRule(r.Context(), &rl); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("rule created", "rule", rl.ID, "name", rl.Name, "position", rl.Position)
	writeJSON(w, http.StatusCreated, ruleToBody(rl))
}

func (s *Server) updateRule(w http.ResponseWriter, r *http.Request) {
	if _, err := s.opts.Store.FindRule(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	rl, ok := s.readRule(w, r)
	if !ok {
		return
	}
	rl.ID = r.PathValue("id")
	if err := s.opts.Store.UpdateRule(r.Context(), &rl); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("rule updated", "rule", rl.ID, "name", rl.Name)
	writeJSON(w, http.StatusOK, ruleToBody(rl))
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.opts.Store.DeleteRule(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("rule deleted", "rule", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) readRule(w http.ResponseWriter, r *http.Request) (fieldlink.Rule, bool) {
	var body RuleBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Rule{}, false
	}

	rl := ruleFromBody(body)
	if err := checkRuleActions(rl); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Rule{}, false
	}
	if s.opts.ValidateRuleFunc != nil {
		if err := s.opts.ValidateRuleFunc(rl); err != nil {
			s.writeError(w, r, err)
			return fieldlink.Rule{}, false
		}
	}
	if err := s.checkRuleItems(r.Context(), rl); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Rule{}, false
	}
	return rl, true
}

// checkRuleActions rejects a rule that would change nothing, and list
// entries that Jira would reject.
func checkRuleActions(rl fieldlink.Rule) error {
	if !rl.HasActions() {
		return invalidf("the rule has no action: give at least one of fields (for example {\"customfield_10050\": {\"value\": \"EMEA Service Desk\"}}), addLabels, comment or requestParticipants")
	}
	if rl.CommentInternal && rl.Comment == "" {
		return invalidf("commentInternal is true but comment is empty: give the comment text, or leave commentInternal out")
	}

	for i, label := range rl.AddLabels {
		// Jira labels cannot contain spaces. A template may still render
		// one, which Jira then rejects when the rule runs.
		switch {
		case strings.TrimSpace(label) == "":
			return invalidf("addLabels[%d] is empty: remove it or give a label", i)
		case !strings.Contains(label, "${") && strings.ContainsFunc(label, isSpace):
			return invalidf("addLabels[%d] %q contains a space, which Jira labels cannot: use - or _ instead", i, label)
		}
	}
	for i, account := range rl.RequestParticipants {
		if strings.TrimSpace(account) == "" {
			return invalidf("requestParticipants[%d] is empty: remove it or give an Atlassian account ID or a template such as ${reporter.accountId}", i)
		}
	}
	return nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// checkRuleItems rejects a rule whose condition refers to an item that does
// not exist, because every ticket would fail on it.
func (s *Server) checkRuleItems(ctx context.Context, rl fieldlink.Rule) error {
	names, err := rule.ItemNames([]fieldlink.Rule{rl})
	if err != nil {
		return invalidf("condition: %v", err)
	}
	if len(names) == 0 {
		return nil
	}

	items, err := s.opts.Store.ListItems(ctx)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(items))
	for _, it := range items {
		known[it.Name] = true
	}
	for _, name := range names {
		if !known[name] {
			return invalidf("the rule refers to item %q (in its condition or actions), which does not exist: create the item first or fix the name (item names are case-sensitive)", name)
		}
	}
	return nil
}

// rulesUsingItem returns the names of the rules whose conditions refer to the
// item with the given name.
func (s *Server) rulesUsingItem(ctx context.Context, itemName string) ([]string, error) {
	rules, err := s.opts.Store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	var using []string
	for _, rl := range rules {
		names, err := rule.ItemNames([]fieldlink.Rule{rl})
		if err != nil {
			continue
		}
		if slices.Contains(names, itemName) {
			using = append(using, fmt.Sprintf("%q", rl.Name))
		}
	}
	return using, nil
}
