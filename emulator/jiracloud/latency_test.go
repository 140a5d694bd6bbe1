package jiracloud_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
)

// newSlowSite returns an emulator that adds latency to every REST response,
// with one issue, ITH-1.
func newSlowSite(t *testing.T, latency time.Duration) *httptest.Server {
	t.Helper()

	emu := jiracloud.New(jiracloud.Options{APIUsers: map[string]string{apiEmail: apiToken}, Latency: latency})
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	emu.AddOptions(jiracloud.FieldSupportGroup, "Service desk")
	if _, err := emu.CreateIssue(context.Background(), jiracloud.Account{Email: "adele.vance@fabrikam.example"}, "Laptop"); err != nil {
		t.Fatalf("CreateIssue() error = %v", err)
	}
	return srv
}

func TestLatencyDelaysRESTResponses(t *testing.T) {
	const latency = 40 * time.Millisecond
	srv := newSlowSite(t, latency)

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"get issue", http.MethodGet, "/rest/api/3/issue/ITH-1", "", http.StatusOK},
		{"edit meta", http.MethodGet, "/rest/api/3/issue/ITH-1/editmeta", "", http.StatusOK},
		{"edit issue", http.MethodPut, "/rest/api/3/issue/ITH-1", `{"fields": {"customfield_10050": {"value": "Service desk"}}}`, http.StatusNoContent},
		{"server info", http.MethodGet, "/rest/api/3/serverInfo", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp := do(t, srv, tt.method, tt.path, apiEmail, apiToken, tt.body)
			elapsed := time.Since(start)

			if resp.status != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", resp.status, tt.status, resp.body)
			}
			if elapsed < latency {
				t.Errorf("response came after %v, want at least the latency of %v", elapsed, latency)
			}
		})
	}
}

func TestLatencyEndsWithCanceledRequest(t *testing.T) {
	srv := newSlowSite(t, time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/rest/api/3/issue/ITH-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(apiEmail, apiToken)

	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request returned status %d, want it canceled while the emulator waits", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the request's deadline", err)
	}
	// srv.Close in the cleanup waits for the handler, so the test ends
	// only if the emulator stopped waiting when the request was canceled.
}
