package webui

import (
	"bytes"
	"net/http"
)

// view is the data a page template renders.
type view struct {
	Page  page
	Pages []page
}

func (h *Handler) servePage(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, p)
	})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, page{Path: "/login", Name: "login", Title: "Sign in"})
}

// render executes the page into a buffer first, so a template error
// becomes a 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, p page) {
	var buf bytes.Buffer
	err := h.pages[p.Name].ExecuteTemplate(&buf, "layout", view{Page: p, Pages: pages})
	if err != nil {
		h.log.Error("render admin page", "page", p.Name, "error", err)
		http.Error(w, "the page could not be rendered: see the server log", http.StatusInternalServerError)
		return
	}

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}
