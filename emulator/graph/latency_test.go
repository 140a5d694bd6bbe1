package graph_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

func TestLatencyDelaysEveryResponse(t *testing.T) {
	const latency = 40 * time.Millisecond
	f := setup(t, graph.Options{Latency: latency})

	tests := []struct {
		name   string
		path   string
		token  string
		status int
	}{
		{"user", "/v1.0/users/" + amelieID + "?$select=officeLocation", "reader", http.StatusOK},
		{"list", "/v1.0/users?$filter=mail%20eq%20'amelie.laurent@fabrikam.example'", "reader", http.StatusOK},
		{"missing token", "/v1.0/users", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got := f.get(t, tt.path, tt.token, nil)
			elapsed := time.Since(start)

			if got.status != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", got.status, tt.status, got.body)
			}
			if elapsed < latency {
				t.Errorf("response came after %v, want at least the latency of %v", elapsed, latency)
			}
		})
	}
}
