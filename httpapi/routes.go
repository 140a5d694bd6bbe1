package httpapi

import (
	"net/http"
	"slices"
)

// routeTable is the API's ServeMux together with every pattern registered
// on it, so the routes can be listed and checked without reading the source.
type routeTable struct {
	*http.ServeMux
	patterns []string
}

func newRouteTable() *routeTable {
	return &routeTable{ServeMux: http.NewServeMux()}
}

// Handle registers h for pattern and records the pattern.
func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.patterns = append(t.patterns, pattern)
	t.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern and records the pattern.
func (t *routeTable) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	t.patterns = append(t.patterns, pattern)
	t.ServeMux.HandleFunc(pattern, h)
}

// Routes returns the ServeMux patterns the API registered, such as
// "GET /api/v1/items/{id}", in the order they were registered. Routes left
// out by Options (metrics, sessions, API tokens) are not listed. The single
// sign-on routes and the admin pages are registered by SSO and webui, not
// here.
func (s *Server) Routes() []string {
	return slices.Clone(s.mux.patterns)
}
