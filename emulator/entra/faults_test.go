package entra_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

// goodForm returns a token request that succeeds without a fault.
func goodForm() map[string]string {
	return map[string]string{"client_id": clientID, "client_secret": secret}
}

func TestServerErrorNextEntraShape(t *testing.T) {
	tests := []struct {
		status    int
		wantError string
		wantCode  int
	}{
		{http.StatusInternalServerError, "server_error", entra.CodeServerError},
		{http.StatusServiceUnavailable, "temporarily_unavailable", entra.CodeServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			f := setup(t)
			f.server.ServerErrorNext(1, tt.status)

			resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", resp.StatusCode, tt.status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got errorResponse
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			checkErrorShape(t, f, got, tt.wantError, tt.wantCode)

			// The error page that error_uri names explains the code.
			page, err := http.Get(got.ErrorURI)
			if err != nil {
				t.Fatal(err)
			}
			page.Body.Close()
			if page.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status = %d, want 200", got.ErrorURI, page.StatusCode)
			}
		})
	}
}

func TestServerErrorNextThenServes(t *testing.T) {
	f := setup(t)
	f.server.ServerErrorNext(2, http.StatusInternalServerError)

	for i := range 2 {
		if resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("request %d: status = %d, want 500; body: %s", i+1, resp.StatusCode, raw)
		}
	}
	if resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("request 3: status = %d, want 200; body: %s", resp.StatusCode, raw)
	}
	if got := f.server.TokenRequests(); got != 3 {
		t.Errorf("TokenRequests() = %d, want 3", got)
	}
}

func TestHTMLNextPage(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		wantStatus int
		wantTitle  string
	}{
		{"proxy error", http.StatusBadGateway, http.StatusBadGateway, "<title>502 Bad Gateway</title>"},
		{"captive portal", 0, http.StatusOK, "<title>Network sign-in required</title>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.server.HTMLNext(1, tt.status)

			resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			body := string(raw)
			if !strings.HasPrefix(body, "<!DOCTYPE html>") {
				t.Errorf("body starts %q, want an HTML document", body[:min(len(body), 40)])
			}
			if !strings.Contains(body, tt.wantTitle) {
				t.Errorf("body has no %s", tt.wantTitle)
			}
			if len(raw) < 4096 {
				t.Errorf("page is %d bytes, want a few kilobytes as real pages are", len(raw))
			}
			if json.Valid(raw) {
				t.Errorf("body is valid JSON, want an HTML page")
			}
		})
	}
}

func TestSlowNextTimesOutClient(t *testing.T) {
	f := setup(t)
	f.server.SlowNext(1, 2*time.Second)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	form := clientCredentialsForm(goodForm())

	start := time.Now()
	resp, err := client.PostForm(f.tokenURL(tenantID), form)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("status = %d, want the client to time out", resp.StatusCode)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("error = %v, want a timeout", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("client gave up after %v, want about its timeout", elapsed)
	}

	// The next request meets no fault and gets its response at once.
	resp, err = client.PostForm(f.tokenURL(tenantID), form)
	if err != nil {
		t.Fatalf("request after the slow one: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status after the slow request = %d, want 200", resp.StatusCode)
	}
	if got := f.server.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests() = %d, want 2", got)
	}
}

func TestSlowNextAnswersAfterDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	f := setup(t)
	f.server.SlowNext(1, delay)

	start := time.Now()
	resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, raw)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("answer came after %v, want at least %v", elapsed, delay)
	}
}

func TestClearFaultsDropsQueue(t *testing.T) {
	f := setup(t)
	f.server.ServerErrorNext(2, http.StatusServiceUnavailable)
	f.server.HTMLNext(1, http.StatusBadGateway)

	if dropped := f.server.ClearFaults(); dropped != 3 {
		t.Errorf("ClearFaults() = %d, want 3", dropped)
	}
	if resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("status after ClearFaults = %d, want 200; body: %s", resp.StatusCode, raw)
	}
}

func TestFaultsSpareErrorPage(t *testing.T) {
	f := setup(t)
	f.server.ServerErrorNext(1, http.StatusInternalServerError)

	page, err := http.Get(f.http.URL + "/error?code=7000215")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Errorf("error page status = %d, want 200", page.StatusCode)
	}

	// The fault is still queued for the token request.
	if resp, _ := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(goodForm()), nil, nil); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("token request status = %d, want the queued 500", resp.StatusCode)
	}
}

func TestFailNextConcurrentRequests(t *testing.T) {
	const faults, requests = 10, 25
	f := setup(t)
	f.server.FailNext(faults, entra.Fault{Status: http.StatusInternalServerError})

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[int]int{}
	)
	for range requests {
		wg.Go(func() {
			resp, err := http.PostForm(f.tokenURL(tenantID), clientCredentialsForm(goodForm()))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			counts[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()

	if counts[http.StatusInternalServerError] != faults {
		t.Errorf("%d requests got 500, want %d (statuses %v)", counts[http.StatusInternalServerError], faults, counts)
	}
	if counts[http.StatusOK] != requests-faults {
		t.Errorf("%d requests got 200, want %d (statuses %v)", counts[http.StatusOK], requests-faults, counts)
	}
}
