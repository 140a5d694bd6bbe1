package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newTestServer serves the pages on loopback; signedIn decides whether
// requests carry a session.
func newTestServer(t *testing.T, signedIn bool) *httptest.Server {
	t.Helper()
	h := New(Options{SignedInFunc: func(*http.Request) bool { return signedIn }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects returns a client that reports redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp, string(body)
}

func TestPagesRedirectWithoutSession(t *testing.T) {
	srv := newTestServer(t, false)

	tests := []struct {
		path     string
		location string
	}{
		{"/datasources", "/login?next=%2Fdatasources"},
		{"/items", "/login?next=%2Fitems"},
		{"/rules", "/login?next=%2Frules"},
		{"/events?status=failed", "/login?next=%2Fevents%3Fstatus%3Dfailed"},
		{"/settings", "/login?next=%2Fsettings"},
	}
	for _, tt := range tests {
		resp, _ := get(t, noRedirects(), srv.URL+tt.path)
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, http.StatusSeeOther)
		}
		if got := resp.Header.Get("Location"); got != tt.location {
			t.Errorf("GET %s: Location %q, want %q", tt.path, got, tt.location)
		}
	}
}

func TestPagesNilSignedInFuncRedirects(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	t.Cleanup(srv.Close)

	resp, _ := get(t, noRedirects(), srv.URL+"/datasources")

	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("status %d, want a redirect to the sign-in page", resp.StatusCode)
	}
}

func TestPagesServedWithSession(t *testing.T) {
	srv := newTestServer(t, true)

	for _, p := range pages {
		resp, body := get(t, noRedirects(), srv.URL+p.Path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", p.Path, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p.Path, got)
		}
		if !strings.Contains(body, "<h1>"+p.Title+"</h1>") {
			t.Errorf("GET %s: page has no heading %q", p.Path, p.Title)
		}
		if !strings.Contains(body, `src="/assets/`+p.Name+`.js"`) {
			t.Errorf("GET %s: page does not load its script", p.Path)
		}
	}
}

func TestRootRedirectsToDatasources(t *testing.T) {
	srv := newTestServer(t, true)

	resp, _ := get(t, noRedirects(), srv.URL+"/")

	if got := resp.Header.Get("Location"); got != "/datasources" {
		t.Errorf("Location %q, want /datasources", got)
	}
}

func TestLoginServedWithoutSession(t *testing.T) {
	srv := newTestServer(t, false)

	resp, body := get(t, noRedirects(), srv.URL+"/login?next=%2Fitems")

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{`id="username"`, `type="password"`, `src="/assets/login.js"`} {
		if !strings.Contains(body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if strings.Contains(body, `<nav>`) {
		t.Error("sign-in page shows the navigation")
	}
}

func TestSecurityHeadersOnPagesAndAssets(t *testing.T) {
	srv := newTestServer(t, true)

	paths := []string{"/login", "/datasources", "/settings", "/assets/app.js", "/assets/style.css"}
	for _, path := range paths {
		resp, _ := get(t, noRedirects(), srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q", path, got)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("GET %s: Referrer-Policy %q", path, got)
		}
	}
}

func TestAssetsServedWithTypes(t *testing.T) {
	srv := newTestServer(t, false)

	tests := []struct {
		path        string
		contentType string
	}{
		{"/assets/app.js", "text/javascript; charset=utf-8"},
		{"/assets/datasources.js", "text/javascript; charset=utf-8"},
		{"/assets/style.css", "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		resp, _ := get(t, noRedirects(), srv.URL+tt.path)
		if got := resp.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.contentType)
		}
	}

	resp, _ := get(t, noRedirects(), srv.URL+"/assets/missing.js")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET a missing asset: status %d, want 404", resp.StatusCode)
	}
}

func TestPagesLoadNothingFromOtherOrigins(t *testing.T) {
	srv := newTestServer(t, true)

	for _, path := range []string{"/login", "/datasources", "/items", "/rules", "/events", "/settings"} {
		_, body := get(t, noRedirects(), srv.URL+path)
		for _, bad := range []string{"http://", "https://cdn", "//fonts", "style=\"", "<script>", "onclick="} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: page contains %q", path, bad)
			}
		}
	}
}

func TestScriptsNeverParseHTML(t *testing.T) {
	entries, err := assetFiles.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}

	for _, entry := range entries {
		if !strings.HasSuffix(entry.Name(), ".js") {
			continue
		}
		source, err := assetFiles.ReadFile("assets/" + entry.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(source), sink) {
				t.Errorf("%s uses %s: put API data into the page with textContent", entry.Name(), sink)
			}
		}
	}
}

func TestAssetsListNoFolder(t *testing.T) {
	h := New(Options{})
	for _, path := range []string{"/assets/", "/assets"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))

		if rec.Code == http.StatusOK {
			t.Errorf("GET %s: 200, want no folder listing:\n%.300s", path, rec.Body)
		}
	}
}

func TestRoutesListEveryServedRoute(t *testing.T) {
	h := New(Options{SignedInFunc: func(*http.Request) bool { return true }})
	routes := h.Routes()

	want := []string{"GET /assets/", "GET /login", "GET /{$}"}
	for _, p := range pages {
		want = append(want, "GET "+p.Path)
	}
	if strings.Join(routes, "\n") != strings.Join(want, "\n") {
		t.Errorf("Routes() = %q, want %q", routes, want)
	}

	// Each listed route is served by the handler: none falls through to
	// the mux's 404.
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, pattern := range routes {
		path := strings.TrimPrefix(pattern, "GET ")
		path = strings.ReplaceAll(path, "{$}", "")
		if path == "/assets/" {
			path = "/assets/style.css"
		}
		resp, _ := get(t, noRedirects(), srv.URL+path)
		if resp.StatusCode == http.StatusNotFound {
			t.Errorf("GET %s, listed as %q: status 404", path, pattern)
		}
	}
}
