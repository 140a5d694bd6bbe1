package httpapi

import (
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink/auth"
)

// CreateTokenRequest is the body of POST /api/v1/tokens.
type CreateTokenRequest struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

// CreatedToken is a new API token with its secret, shown only once.
type CreatedToken struct {
	auth.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req CreateTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		s.writeError(w, r, invalidf("name is missing: name the token after its user, for example \"monitoring\""))
		return
	}
	if !auth.ValidScope(req.Scope) {
		s.writeError(w, r, invalidf("scope %q is invalid: use %q or %q", req.Scope, auth.ScopeReadOnly, auth.ScopeAdmin))
		return
	}

	secret, hash, err := auth.NewToken()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t := auth.Token{Name: req.Name, Scope: req.Scope, Hash: hash, CreatedBy: actorOf(r)}
	if err := s.opts.Tokens.CreateToken(r.Context(), &t); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.record(r, "token.create", t.Name)
	s.log.Info("API token created", "token", t.Name, "scope", t.Scope, "by", t.CreatedBy)
	writeJSON(w, http.StatusCreated, CreatedToken{Token: t, Secret: secret})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.opts.Tokens.ListTokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.opts.Tokens.DeleteToken(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.record(r, "token.revoke", t.Name)
	s.log.Info("API token revoked", "token", t.Name, "by", actorOf(r))
	w.WriteHeader(http.StatusNoContent)
}
