package entra_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

func TestLatencyDelaysTokenResponse(t *testing.T) {
	const latency = 40 * time.Millisecond
	f := setup(t, func(o *entra.Options) { o.Latency = latency })
	form := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})

	start := time.Now()
	resp, body := postForm(t, f.tokenURL(tenantID), form, nil, nil)
	elapsed := time.Since(start)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, body)
	}
	if elapsed < latency {
		t.Errorf("token response came after %v, want at least the latency of %v", elapsed, latency)
	}
	if got := f.server.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests() = %d, want 1", got)
	}
}

func TestLatencyDelaysErrorPage(t *testing.T) {
	const latency = 40 * time.Millisecond
	f := setup(t, func(o *entra.Options) { o.Latency = latency })

	start := time.Now()
	resp, err := http.Get(f.http.URL + "/error?code=7000215")
	if err != nil {
		t.Fatalf("GET /error: %v", err)
	}
	resp.Body.Close()
	elapsed := time.Since(start)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if elapsed < latency {
		t.Errorf("error page came after %v, want at least the latency of %v", elapsed, latency)
	}
	if got := f.server.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests() = %d after the error page only, want 0", got)
	}
}

func TestLatencyEndsWithCanceledTokenRequest(t *testing.T) {
	f := setup(t, func(o *entra.Options) { o.Latency = time.Hour })
	form := clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": secret})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.tokenURL(tenantID), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for f.server.TokenRequests() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()

	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("request error = %v, want context.Canceled", err)
	}
	// Close waits for the handler, so the test would hang if the wait
	// ignored the canceled request.
	f.http.Close()
}
