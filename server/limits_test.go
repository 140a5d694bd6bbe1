package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/server"
)

func TestOversizedHeadersRejected(t *testing.T) {
	srv, _ := startOn(t, "")

	tests := []struct {
		name       string
		padding    int
		wantStatus int
	}{
		{"under the limit", 32 << 10, http.StatusOK},
		// The limit is 64 KiB, and net/http reads 4 KiB beyond it before
		// it rejects a request.
		{"over the limit", 72 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"far over the limit", 1 << 20, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL()+"/healthz", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Padding", strings.Repeat("p", tt.padding))

			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET /healthz with a %d-byte header: status %d, want %d", tt.padding, resp.StatusCode, tt.wantStatus)
			}
		})
	}
}

// startWithLoopback starts a server whose datasources may reach loopback,
// where the tests' upstream APIs listen.
func startWithLoopback(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.Start(context.Background(), server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: adminToken, MasterKey: testMasterKey,
		AllowLoopback: true, ForEmulators: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

func TestLookupOversizedUpstreamResponse(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/large-body":
			// Written in parts without a Content-Length, so the limit is
			// met while reading, not from the declared length.
			w.Header().Set("Content-Type", "application/json")
			part := strings.Repeat("x", 1<<20)
			io.WriteString(w, `{"value": "`)
			for range outbound.DefaultMaxResponseBytes/len(part) + 1 {
				io.WriteString(w, part)
				w.(http.Flusher).Flush()
			}
			io.WriteString(w, `"}`)
		case "/large-declared-body":
			w.Header().Set("Content-Length", "104857600")
			io.WriteString(w, `{}`)
		case "/large-headers":
			w.Header().Set("X-Padding", strings.Repeat("p", outbound.DefaultMaxResponseHeaderBytes+1))
			io.WriteString(w, `{"value": "ok"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(upstream.Close)
	host := strings.TrimPrefix(upstream.URL, "http://")

	srv := startWithLoopback(t)
	api := &apiclient.Client{BaseURL: srv.URL(), Token: adminToken}
	ctx := context.Background()
	ds, err := api.CreateDatasource(ctx, httpapi.DatasourceBody{Name: "Large API", BaseURL: upstream.URL, Auth: httpapi.AuthBody{Mode: "none"}})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path      string
		wantError string
	}{
		{"/large-body", "response from " + host + " is larger than the limit of 10 MiB"},
		{"/large-declared-body", "response from " + host + " is larger than the limit of 10 MiB"},
		{"/large-headers", "response headers from " + host + " are larger than the limit of 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			it, err := api.CreateItem(ctx, httpapi.ItemBody{Name: "Item " + tt.path, Datasource: ds.ID, Type: "read-only",
				Request: httpapi.ItemRequestBody{Path: tt.path}, Root: "$", Template: "${row.value}"})
			if err != nil {
				t.Fatal(err)
			}

			_, err = api.EvaluateItem(ctx, it.ID, reporter)
			var apiErr *apiclient.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("evaluate item with %s: error %v, want an API error", tt.path, err)
			}
			if apiErr.Status != http.StatusUnprocessableEntity {
				t.Errorf("evaluate item with %s: status %d, want 422", tt.path, apiErr.Status)
			}
			if !strings.Contains(apiErr.Message, tt.wantError) {
				t.Errorf("evaluate item with %s: message %q, want it to contain %q", tt.path, apiErr.Message, tt.wantError)
			}
		})
	}
}
