package credential

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
)

func TestTokenTimeoutNamesDuration(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	ds := oauthDatasource(srv.URL+"/token", fieldlink.ClientAuthBody)
	ds.TimeoutSeconds = 1
	authorizer, err := NewCache(loopbackClients(), nil).Authorizer(ds)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		wait      time.Duration
		wantAfter string
	}{
		// The caller's deadline ends first.
		{"caller deadline", 300 * time.Millisecond, "timed out after 300ms"},
		// The datasource's timeout ends the token request itself.
		{"datasource timeout", 5 * time.Second, "timed out after 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), tt.wait)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.example/v1/me", nil)

			err := authorizer.Authorize(ctx, req)

			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error = %v, want one that wraps context.DeadlineExceeded", err)
			}
			for _, part := range []string{"token request to " + srv.URL + "/token", tt.wantAfter, "timeoutSeconds"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not contain %q", err, part)
				}
			}
		})
	}
}
