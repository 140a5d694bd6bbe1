package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/rule"
)

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	all, err := s.opts.Store.ListRules(r.Context())
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
	if len(rl.Fields) == 0 {
		s.writeError(w, r, invalidf("fields is missing: give the Jira fields the rule sets, for example {\"customfield_10050\": {\"value\": \"EMEA Service Desk\"}}"))
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
			return invalidf("condition refers to item %q, which does not exist: create the item first or fix the name (item names are case-sensitive)", name)
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
