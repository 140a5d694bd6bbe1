package httpapi

import (
	"net/http"

	"github.com/fieldlink/fieldlink"
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
	if s.opts.ValidateRuleFunc != nil {
		if err := s.opts.ValidateRuleFunc(rl); err != nil {
			s.writeError(w, r, err)
			return fieldlink.Rule{}, false
		}
	}
	return rl, true
}
