package item

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

// bearerUpstream sends requests over net/http to the datasource's base URL
// with a bearer token, as the real Upstream does for a bearer datasource. A
// path that is an absolute URL is sent as it is when it has the base URL's
// scheme and host, and rejected otherwise. It records the URLs it sent.
type bearerUpstream struct {
	client *http.Client
	token  string

	mu   sync.Mutex
	sent []string
}

func (u *bearerUpstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	target := ds.BaseURL + req.Path
	if strings.HasPrefix(req.Path, "http://") || strings.HasPrefix(req.Path, "https://") {
		base, _ := url.Parse(ds.BaseURL)
		next, err := url.Parse(req.Path)
		if err != nil {
			return fieldlink.UpstreamResponse{}, err
		}
		if next.Scheme != base.Scheme || next.Host != base.Host {
			return fieldlink.UpstreamResponse{}, fmt.Errorf("request URL %q is not on the datasource's host", req.Path)
		}
		target = req.Path
	}

	httpReq, err := http.NewRequestWithContext(ctx, req.Method, target, bytes.NewReader(req.Body))
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	for name, values := range req.Header {
		httpReq.Header[name] = values
	}
	httpReq.Header.Set("Authorization", "Bearer "+u.token)

	u.mu.Lock()
	u.sent = append(u.sent, target)
	u.mu.Unlock()

	resp, err := u.client.Do(httpReq)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, err
	}
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Sent returns the URLs sent so far.
func (u *bearerUpstream) Sent() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.sent...)
}

// tracingBearerUpstream is a bearerUpstream with DoTraced, reporting fixed
// timings so a test can tell they were passed on.
type tracingBearerUpstream struct {
	*bearerUpstream
	timings fieldlink.RequestTimings
}

func (u tracingBearerUpstream) DoTraced(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, fieldlink.RequestTimings, error) {
	resp, err := u.Do(ctx, ds, req)
	return resp, u.timings, err
}

// apiDatasource returns a datasource whose base URL is server's URL plus
// basePath.
func apiDatasource(server *httptest.Server, basePath string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:        "ds-" + strings.TrimPrefix(server.URL, "http://127.0.0.1:"),
		Name:      "Test API",
		BaseURL:   server.URL + basePath,
		UpdatedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
	}
}

// newAPI starts a test server for handler and returns it with an engine that
// reaches it through a bearerUpstream.
func newAPI(t *testing.T, handler http.Handler) (*httptest.Server, *Engine, *bearerUpstream) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	upstream := &bearerUpstream{client: server.Client(), token: "test-token"}
	return server, NewEngine(Options{Upstream: upstream}), upstream
}

// manyUsers returns n directory users named user001, user002, ….
func manyUsers(n int) []graph.User {
	users := make([]graph.User, n)
	for i := range users {
		alias := fmt.Sprintf("user%03d", i+1)
		users[i] = graph.User{
			ID:                fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			DisplayName:       fmt.Sprintf("User %03d", i+1),
			Mail:              alias + "@fabrikam.example",
			UserPrincipalName: alias + "@fabrikam.example",
			OfficeLocation:    []string{"Paris", "London", "Singapore"}[i%3],
			UserType:          "Member",
			AccountEnabled:    true,
		}
	}
	return users
}

// newGraph starts the Graph emulator with users and returns an engine that
// reaches it, the datasource and the upstream.
func newGraph(t *testing.T, users []graph.User) (*Engine, fieldlink.Datasource, *bearerUpstream) {
	t.Helper()
	server, engine, upstream := newAPI(t, graph.New(graph.Options{Users: users}))
	return engine, apiDatasource(server, "/v1.0"), upstream
}

// writeJSON writes body as a JSON response.
func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}
