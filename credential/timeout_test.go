package credential

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
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
		name     string
		wait     time.Duration
		min, max time.Duration
	}{
		// The caller's deadline ends first, and the message names the
		// time waited, to a tenth of a second.
		{"caller deadline", 300 * time.Millisecond, 300 * time.Millisecond, time.Second},
		// The datasource's timeout ends the token request itself.
		{"datasource timeout", 5 * time.Second, time.Second, time.Second},
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
			for _, part := range []string{"token request to " + srv.URL + "/token", "timeoutSeconds"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not contain %q", err, part)
				}
			}
			match := timedOutPattern.FindStringSubmatch(err.Error())
			if match == nil {
				t.Fatalf("message %q does not say how long the request waited", err)
			}
			waited, parseErr := time.ParseDuration(match[1])
			if parseErr != nil || waited < tt.min || waited > tt.max {
				t.Errorf("message says it timed out after %s, want between %s and %s", match[1], tt.min, tt.max)
			}
		})
	}
}

// timedOutPattern finds the duration in "timed out after 1.5s".
var timedOutPattern = regexp.MustCompile(`timed out after (\S+) `)
