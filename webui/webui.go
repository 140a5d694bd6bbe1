// Package webui serves fieldlink's admin pages: plain HTML pages with a
// small script that calls the REST API from the same origin with the
// session cookie. The pages hold no business logic; everything they show
// comes from the API.
package webui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Options configures the admin pages.
type Options struct {
	// SignedInFunc reports whether the request carries a valid session.
	// Nil treats every request as signed out, so every page except the
	// sign-in page redirects to it.
	SignedInFunc func(r *http.Request) bool

	Logger *slog.Logger
}

// Handler serves the admin pages and their assets.
type Handler struct {
	opts  Options
	pages map[string]*template.Template
	log   *slog.Logger
}

// page describes one admin page.
type page struct {
	Path  string
	Name  string
	Title string
}

// pages lists the pages in the order the navigation shows them. The
// sign-in page is served apart because it needs no session.
var pages = []page{
	{Path: "/datasources", Name: "datasources", Title: "Datasources"},
	{Path: "/items", Name: "items", Title: "Items"},
	{Path: "/rules", Name: "rules", Title: "Rules"},
	{Path: "/events", Name: "events", Title: "Events"},
	{Path: "/settings", Name: "settings", Title: "Settings"},
}

// New parses the embedded templates and returns the handler. It panics
// when a template does not parse, because they are compiled in.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, pages: map[string]*template.Template{}, log: opts.Logger}

	for _, name := range append(pageNames(), "login") {
		h.pages[name] = template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	return h
}

func pageNames() []string {
	names := make([]string, 0, len(pages))
	for _, p := range pages {
		names = append(names, p.Name)
	}
	return names
}

// Register adds the page and asset routes to mux. The API keeps its own
// routes, so the caller registers it on the same mux under "/".
func (h *Handler) Register(mux *http.ServeMux) {
	h.register(mux.Handle)
}

// Routes returns the ServeMux patterns that Register adds, such as
// "GET /settings", in the order it adds them. Every pattern but "GET
// /login", "GET /assets/" and "GET /{$}" requires a session.
func (h *Handler) Routes() []string {
	var patterns []string
	h.register(func(pattern string, _ http.Handler) { patterns = append(patterns, pattern) })
	return patterns
}

// register passes every route to handle. Register and Routes both go
// through it, so the listing cannot miss a route.
func (h *Handler) register(handle func(pattern string, handler http.Handler)) {
	assets, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	handle("GET /assets/", withSecurityHeaders(http.StripPrefix("/assets/", noListing(http.FileServerFS(assets)))))

	handle("GET /login", withSecurityHeaders(http.HandlerFunc(h.login)))
	handle("GET /{$}", withSecurityHeaders(http.RedirectHandler("/datasources", http.StatusSeeOther)))
	for _, p := range pages {
		handle("GET "+p.Path, withSecurityHeaders(h.requireSession(h.servePage(p))))
	}
}

// ServeHTTP serves the pages and assets alone, for tests and for callers
// that mount the API elsewhere.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	h.Register(mux)
	mux.ServeHTTP(w, r)
}

// requireSession redirects a request without a session to the sign-in
// page, which returns to the requested page afterwards.
func (h *Handler) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.opts.SignedInFunc == nil || !h.opts.SignedInFunc(r) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// noListing answers 404 for folder paths, so the asset server lists no
// folder contents.
func noListing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
