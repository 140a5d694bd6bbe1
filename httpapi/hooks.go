package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
)

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
	if strings.TrimSpace(body.Name) == "" {
		s.writeError(w, r, invalidf("name is missing: give the hook a name, for example \"IT Help\""))
		return
	}
	if body.Secret != "" {
		s.writeError(w, r, invalidf("secret cannot be chosen: fieldlink generates it and returns it once"))
		return
	}
	if body.JiraDatasource == "" {
		s.writeError(w, r, invalidf("jiraDatasource is missing: give the id of the datasource that writes to your Jira site"))
		return
	}
	if _, err := s.opts.Store.FindDatasource(r.Context(), body.JiraDatasource); err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("jiraDatasource %q does not exist: use the id of a datasource from GET /api/v1/datasources", body.JiraDatasource)
		}
		s.writeError(w, r, err)
		return
	}

	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // Since Go 1.24, crypto/rand.Read never returns an error.
	h := fieldlink.Hook{Name: body.Name, JiraDatasourceID: body.JiraDatasource, Secret: base64.RawURLEncoding.EncodeToString(secret)}
	if err := s.opts.Store.CreateHook(r.Context(), &h); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("hook created", "hook", h.ID, "name", h.Name)
	out := s.hookToBody(h, r)
	out.Secret = h.Secret
	writeJSON(w, http.StatusCreated, out)
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

func (s *Server) hookToBody(h fieldlink.Hook, r *http.Request) HookBody {
	return HookBody{
		ID:             h.ID,
		Name:           h.Name,
		JiraDatasource: h.JiraDatasourceID,
		URL:            s.publicBase(r) + "/hooks/jira/" + h.ID,
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
