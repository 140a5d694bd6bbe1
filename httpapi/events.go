package httpapi

import (
	"net/http"
	"strconv"

	"github.com/fieldlink/fieldlink"
)

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, r, invalidf("limit %q is invalid: use a number from 1 to 1000", raw))
			return
		}
		limit = n
	}

	all, err := s.opts.Store.ListEvents(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ListBody[EventBody]{Items: make([]EventBody, 0, len(all))}
	for _, e := range all {
		out.Items = append(out.Items, eventToBody(e))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.ENotFound, "event %q not found: event ids are numbers", r.PathValue("id")))
		return
	}
	e, err := s.opts.Store.FindEvent(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eventToBody(e))
}
