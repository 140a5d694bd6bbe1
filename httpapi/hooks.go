package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// HookBody is the JSON shape of a webhook intake endpoint. Secret and
// AutomationToken are returned once, when they are created.
type HookBody struct {
	ID             string `json:"id,omitempty"`
	Name           string `json:"name"`
	JiraDatasource string `json:"jiraDatasource"`
	Secret         string `json:"secret,omitempty"`
	URL            string `json:"url,omitempty"`

	ProjectKeys   []string `json:"projectKeys,omitempty"`
	RuleSet       string   `json:"ruleSet,omitempty"`
	MatchAll      bool     `json:"matchAll,omitempty"`
	Events        []string `json:"events,omitempty"`
	EmailFallback string   `json:"emailFallback,omitempty"`

	// HasAutomationToken is read-only: it reports whether Jira Automation
	// can send events to the hook with the X-Fieldlink-Token header.
	HasAutomationToken bool   `json:"hasAutomationToken,omitempty"`
	AutomationToken    string `json:"automationToken,omitempty"`
}

// automationTokenPrefix starts every automation token, so one found in a
// log or a paste is recognizable.
const automationTokenPrefix = "flh_"

// projectKeyPattern is Jira Cloud's default project key format: an
// uppercase letter, then uppercase letters, digits or underscores.
var projectKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	all, err := s.opts.Store.ListHooks(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ListBody[HookBody]{Items: make([]HookBody, 0, len(all))}
	for _, h := range all {
		out.Items = append(out.Items, s.hookToBody(h, r))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	h, err := s.opts.Store.FindHook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.hookToBody(h, r))
}

// createHook stores a hook with a fresh secret, returned in this response only:
// the admin pastes it into Jira's webhook form.
func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	var body HookBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.hookFromBody(r, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	h.Secret = newHookSecret()
	if err := s.opts.Store.CreateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook created", "hook", h.ID, "name", h.Name)
	out := s.hookToBody(h, r)
	out.Secret = h.Secret
	writeJSON(w, http.StatusCreated, out)
}

// updateHook replaces a hook's settings. Its secret and automation token
// stay as they are: they change only through their own routes.
func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	previous, err := s.opts.Store.FindHook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body HookBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	h, err := s.hookFromBody(r, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	h.ID = previous.ID
	h.Secret = previous.Secret
	h.AutomationTokenHash = previous.AutomationTokenHash
	if err := s.opts.Store.UpdateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook updated", "hook", h.ID, "name", h.Name, "ruleSet", h.RuleSet)
	writeJSON(w, http.StatusOK, s.hookToBody(h, r))
}

// rotateHookSecret replaces the hook's secret and returns the new one in
// this response only. Deliveries signed with the old secret are rejected
// from now on, so the admin pastes the new one into Jira at once.
func (s *Server) rotateHookSecret(w http.ResponseWriter, r *http.Request) {
	h, err := s.opts.Store.FindHook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	h.Secret = newHookSecret()
	if err := s.opts.Store.UpdateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook secret rotated", "hook", h.ID)
	out := s.hookToBody(h, r)
	out.Secret = h.Secret
	writeJSON(w, http.StatusOK, out)
}

// createAutomationToken creates or replaces the token Jira Automation sends
// in X-Fieldlink-Token, and returns it in this response only: fieldlink
// stores its SHA-256.
func (s *Server) createAutomationToken(w http.ResponseWriter, r *http.Request) {
	h, err := s.opts.Store.FindHook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // Since Go 1.24, crypto/rand.Read never returns an error.
	token := automationTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	replaced := h.AutomationTokenHash != ""
	h.AutomationTokenHash = AutomationTokenHash(token)
	if err := s.opts.Store.UpdateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook automation token created", "hook", h.ID, "replaced", replaced)
	out := s.hookToBody(h, r)
	out.AutomationToken = token
	writeJSON(w, http.StatusCreated, out)
}

// deleteAutomationToken removes the hook's automation token, so Jira
// Automation requests to the hook are rejected.
func (s *Server) deleteAutomationToken(w http.ResponseWriter, r *http.Request) {
	h, err := s.opts.Store.FindHook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	h.AutomationTokenHash = ""
	if err := s.opts.Store.UpdateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook automation token deleted", "hook", h.ID)
	w.WriteHeader(http.StatusNoContent)
}

// AutomationTokenHash returns the hex SHA-256 of a hook's automation token,
// as stored in Hook.AutomationTokenHash.
func AutomationTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.opts.Store.DeleteHook(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook deleted", "hook", id)
	w.WriteHeader(http.StatusNoContent)
}

// hookFromBody checks a create or update request and returns the hook it
// describes, without ID, secret or automation token.
func (s *Server) hookFromBody(r *http.Request, body HookBody) (fieldlink.Hook, error) {
	if strings.TrimSpace(body.Name) == "" {
		return fieldlink.Hook{}, invalidf("name is missing: give the hook a name, for example \"IT Help\"")
	}
	if body.Secret != "" {
		return fieldlink.Hook{}, invalidf("secret cannot be chosen: fieldlink generates it and returns it once; rotate it with POST /api/v1/hooks/{id}/secret")
	}
	if body.AutomationToken != "" {
		return fieldlink.Hook{}, invalidf("automationToken cannot be chosen: create one with POST /api/v1/hooks/{id}/automation-token")
	}
	if body.JiraDatasource == "" {
		return fieldlink.Hook{}, invalidf("jiraDatasource is missing: give the id of the datasource that writes to your Jira site")
	}
	if _, err := s.opts.Store.FindDatasource(r.Context(), body.JiraDatasource); err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("jiraDatasource %q does not exist: use the id of a datasource from GET /api/v1/datasources", body.JiraDatasource)
		}
		return fieldlink.Hook{}, err
	}

	for i, key := range body.ProjectKeys {
		if !projectKeyPattern.MatchString(key) {
			return fieldlink.Hook{}, invalidf("projectKeys[%d] %q is not a Jira project key: use the key in upper case, as in issue keys (ITH for ITH-1)", i, key)
		}
	}
	for i, event := range body.Events {
		if event != fieldlink.EventIssueCreated && event != fieldlink.EventIssueUpdated {
			return fieldlink.Hook{}, invalidf("events[%d] %q is not supported: use %q or %q", i, event, fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated)
		}
	}
	if err := s.checkEmailFallback(r, body.EmailFallback); err != nil {
		return fieldlink.Hook{}, err
	}

	return fieldlink.Hook{
		Name:             body.Name,
		JiraDatasourceID: body.JiraDatasource,
		ProjectKeys:      body.ProjectKeys,
		RuleSet:          body.RuleSet,
		MatchAll:         body.MatchAll,
		Events:           body.Events,
		EmailFallback:    body.EmailFallback,
	}, nil
}

// checkEmailFallback accepts "", "jira" or "item:<name>" naming an
// existing item.
func (s *Server) checkEmailFallback(r *http.Request, fallback string) error {
	if fallback == "" || fallback == "jira" {
		return nil
	}

	name, ok := strings.CutPrefix(fallback, "item:")
	if !ok {
		return invalidf("emailFallback %q is invalid: use \"\" (none), \"jira\" (look the account up in Jira) or \"item:<item name>\"", fallback)
	}
	if _, err := s.opts.Store.FindItemByName(r.Context(), name); err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("emailFallback names item %q, which does not exist: create the item first or fix the name (item names are case-sensitive)", name)
		}
		return err
	}
	return nil
}

func newHookSecret() string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // Since Go 1.24, crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(secret)
}

func (s *Server) hookToBody(h fieldlink.Hook, r *http.Request) HookBody {
	return HookBody{
		ID:                 h.ID,
		Name:               h.Name,
		JiraDatasource:     h.JiraDatasourceID,
		URL:                s.publicBase(r) + "/hooks/jira/" + h.ID,
		ProjectKeys:        h.ProjectKeys,
		RuleSet:            h.RuleSet,
		MatchAll:           h.MatchAll,
		Events:             h.Events,
		EmailFallback:      h.EmailFallback,
		HasAutomationToken: h.AutomationTokenHash != "",
	}
}

// publicBase returns the address Jira reaches fieldlink at: PublicURL, or
// the scheme and host of r.
func (s *Server) publicBase(r *http.Request) string {
	base := strings.TrimRight(s.opts.PublicURL, "/")
	if base != "" {
		return base
	}

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
