package upstream_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/upstream"
)

func TestDoRetriesCutConnection(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.TruncateNext(2, graph.CutConnection)

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200 after the retries", resp.Status)
	}
	if got := s.graph.Requests(); got != 3 {
		t.Errorf("Graph received %d requests, want 3", got)
	}
}

func TestDoCutConnectionGivesUp(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.TruncateNext(upstream.MaxRetries+1, graph.CutConnection)

	_, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})

	var incomplete *upstream.IncompleteResponseError
	if !errors.As(err, &incomplete) {
		t.Fatalf("Do error = %v, want *IncompleteResponseError", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
	}
	if incomplete.Expected <= 0 || incomplete.Received != int(incomplete.Expected)/2 {
		t.Errorf("Received %d of Expected %d, want half", incomplete.Received, incomplete.Expected)
	}
	for _, part := range []string{"GET " + s.url + "/v1.0" + firstUserPath(), "200 OK", "connection closed after", "of the body"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q does not contain %q", err, part)
		}
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || netErr.Timeout() {
		t.Errorf("error is not a net.Error that is no timeout: %v", err)
	}
	if got := s.graph.Requests(); got != upstream.MaxRetries+1 {
		t.Errorf("Graph received %d requests, want %d", got, upstream.MaxRetries+1)
	}
}

func TestDoRetriesCutJSON(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.TruncateNext(1, graph.CutJSON)

	resp, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("status = %d, want 200 after the retry", resp.Status)
	}
	if got := s.graph.Requests(); got != 2 {
		t.Errorf("Graph received %d requests, want 2", got)
	}
}

func TestDoCutJSONGivesUp(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.TruncateNext(upstream.MaxRetries+1, graph.CutJSON)

	_, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: firstUserPath()})

	var incomplete *upstream.IncompleteResponseError
	if !errors.As(err, &incomplete) {
		t.Fatalf("Do error = %v, want *IncompleteResponseError", err)
	}
	if incomplete.Err != nil {
		t.Errorf("Err = %v, want nil for a body that arrived whole by HTTP's count", incomplete.Err)
	}
	if !strings.Contains(err.Error(), "JSON body that stops after") {
		t.Errorf("message %q does not say the JSON stops early", err)
	}
	if got := s.graph.Requests(); got != upstream.MaxRetries+1 {
		t.Errorf("Graph received %d requests, want %d", got, upstream.MaxRetries+1)
	}
}

func TestDoCutPostNotRetried(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	s.graph.TruncateNext(1, graph.CutConnection)

	// The emulator rejects POST with an error body, which is cut all the same.
	_, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Method: http.MethodPost, Path: "/users", Body: []byte(`{}`)})

	var incomplete *upstream.IncompleteResponseError
	if !errors.As(err, &incomplete) {
		t.Fatalf("Do error = %v, want *IncompleteResponseError", err)
	}
	if got := s.graph.Requests(); got != 1 {
		t.Errorf("Graph received %d requests, want 1: a POST may have been processed", got)
	}
}

func TestDoBodyChecks(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		incomplete  bool
	}{
		{"whole JSON", 200, "application/json", `{"value":[]}`, false},
		{"cut JSON", 200, "application/json; charset=utf-8", `{"value":[{"id":"1"`, true},
		{"cut problem JSON", 200, "application/problem+json", `{"title":"x`, true},
		{"cut JSON error status", 404, "application/json", `{"error":{"code":"x"`, false},
		{"cut JSON as text", 200, "text/plain", `{"value":[`, false},
		{"HTML as JSON", 200, "application/json", `<html><body>Sign in</body></html>`, false},
		{"empty JSON body", 200, "application/json", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(api.Close)
			s := newRetrySetup(t, newFakeClock())
			ds := s.datasource()
			ds.BaseURL = api.URL

			resp, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/items"})

			var incomplete *upstream.IncompleteResponseError
			if got := errors.As(err, &incomplete); got != tt.incomplete {
				t.Fatalf("Do error = %v; incomplete %v, want %v", err, got, tt.incomplete)
			}
			if !tt.incomplete && string(resp.Body) != tt.body {
				t.Errorf("body = %q, want %q as sent", resp.Body, tt.body)
			}
		})
	}
}
