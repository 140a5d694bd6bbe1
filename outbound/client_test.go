package outbound_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fieldlink/fieldlink/outbound"
)

func get(t *testing.T, c *outbound.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return c.Do(req)
}

func okServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDoLoopbackBlockedByDefault(t *testing.T) {
	srv := okServer(t)
	c := outbound.New(outbound.Options{})

	_, err := get(t, c, srv.URL)

	var blocked *outbound.AddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("Do error = %v, want *AddressError", err)
	}
	if blocked.Host != "127.0.0.1" {
		t.Errorf("Host = %q, want 127.0.0.1", blocked.Host)
	}
	if blocked.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("Addr = %s, want 127.0.0.1", blocked.Addr)
	}
	if blocked.Setting != outbound.SettingAllowLoopback {
		t.Errorf("Setting = %q, want %q", blocked.Setting, outbound.SettingAllowLoopback)
	}
	if !strings.Contains(err.Error(), "--allow-loopback") {
		t.Errorf("error %q does not name --allow-loopback", err)
	}
}

func TestDoLoopbackByHostName(t *testing.T) {
	srv := okServer(t)
	c := outbound.New(outbound.Options{})
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	_, err := get(t, c, url)

	var blocked *outbound.AddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("Do error = %v, want *AddressError", err)
	}
	if blocked.Host != "localhost" {
		t.Errorf("Host = %q, want localhost", blocked.Host)
	}
	if !blocked.Addr.IsLoopback() {
		t.Errorf("Addr = %s, want a loopback address", blocked.Addr)
	}
}

func TestDoLoopbackAllowed(t *testing.T) {
	srv := okServer(t)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	resp, err := get(t, c, srv.URL)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if string(body) != "ok" {
		t.Errorf("body = %q, want ok", body)
	}
}

func TestDoMetadataAlwaysBlocked(t *testing.T) {
	c := outbound.New(outbound.Options{AllowLoopback: true, AllowPrivate: true})

	for _, url := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/latest/meta-data/",
		"http://[::ffff:a9fe:a9fe]/latest/meta-data/",
		"http://[fe80::1]/",
		"http://0.0.0.0/",
	} {
		_, err := get(t, c, url)

		var blocked *outbound.AddressError
		if !errors.As(err, &blocked) {
			t.Errorf("Do(%s) error = %v, want *AddressError", url, err)
			continue
		}
		if blocked.Setting != "" {
			t.Errorf("Do(%s): Setting = %q, want none", url, blocked.Setting)
		}
		if !strings.Contains(err.Error(), "never connects") {
			t.Errorf("Do(%s): error %q does not say the address is never allowed", url, err)
		}
	}
}

func TestDoRedirectIntoBlockedRange(t *testing.T) {
	tests := []struct {
		name        string
		location    string
		wantSetting string
	}{
		{name: "metadata", location: "http://169.254.169.254/latest/meta-data/", wantSetting: ""},
		{name: "mapped metadata", location: "http://[::ffff:169.254.169.254]/", wantSetting: ""},
		{name: "private", location: "http://10.0.0.1/admin", wantSetting: outbound.SettingAllowPrivate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.RedirectHandler(tt.location, http.StatusFound))
			t.Cleanup(srv.Close)
			c := outbound.New(outbound.Options{AllowLoopback: true})

			_, err := get(t, c, srv.URL)

			var blocked *outbound.AddressError
			if !errors.As(err, &blocked) {
				t.Fatalf("Do error = %v, want *AddressError", err)
			}
			if blocked.Setting != tt.wantSetting {
				t.Errorf("Setting = %q, want %q", blocked.Setting, tt.wantSetting)
			}
		})
	}
}

func TestDoRedirectLimit(t *testing.T) {
	hops := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops++
		http.Redirect(w, r, fmt.Sprintf("%s/hop%d", srv.URL, hops), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	_, err := get(t, c, srv.URL)

	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Errorf("Do error = %v, want one that says it stopped after 5 redirects", err)
	}
	if hops != outbound.MaxRedirects+1 {
		t.Errorf("server saw %d requests, want %d", hops, outbound.MaxRedirects+1)
	}
}

func TestDoRedirectFollowed(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			fmt.Fprint(w, "final")
			return
		}
		http.Redirect(w, r, srv.URL+"/final", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	resp, err := get(t, c, srv.URL+"/start")
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()

	body, _ := io.ReadAll(resp.Body)
	if string(body) != "final" {
		t.Errorf("body = %q, want final", body)
	}
}

func TestDoCrossHostRedirectDropsHeaders(t *testing.T) {
	var gotKey, gotAccept string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("X-Api-Key")
		gotAccept = r.Header.Get("Accept")
	}))
	t.Cleanup(target.Close)
	// The same server under another host name is another host to the client.
	otherHost := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	origin := httptest.NewServer(http.RedirectHandler(otherHost+"/moved", http.StatusFound))
	t.Cleanup(origin.Close)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, origin.URL, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("X-Api-Key", "key-123")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	resp.Body.Close()

	if gotKey != "" {
		t.Errorf("redirected request carried X-Api-Key %q, want none", gotKey)
	}
	if gotAccept != "application/json" {
		t.Errorf("redirected request carried Accept %q, want application/json", gotAccept)
	}
}

func TestDoCrossHostRedirectKeepsBody(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
	}))
	t.Cleanup(target.Close)
	otherHost := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	origin := httptest.NewServer(http.RedirectHandler(otherHost+"/token", http.StatusTemporaryRedirect))
	t.Cleanup(origin.Close)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, origin.URL+"/token", strings.NewReader("client_secret=s3cr3t"))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	_, err = c.Do(req)

	if err == nil || !strings.Contains(err.Error(), "would resend the request body") {
		t.Errorf("Do error = %v, want the redirect blocked", err)
	}
	if got := targetHits.Load(); got != 0 {
		t.Errorf("other host received %d requests, want 0", got)
	}
}

func TestDoResponseSizeLimit(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{name: "at limit with length", size: limit},
		{name: "at limit chunked", size: limit, chunked: true},
		{name: "over limit with length", size: limit + 1, wantErr: true},
		{name: "over limit chunked", size: limit + 1, chunked: true, wantErr: true},
		{name: "far over limit chunked", size: 50 * limit, chunked: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := strings.Repeat("x", tt.size)
				if tt.chunked {
					// Two writes with a flush between force chunked encoding.
					io.WriteString(w, body[:tt.size/2])
					w.(http.Flusher).Flush()
					io.WriteString(w, body[tt.size/2:])
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(tt.size))
				io.WriteString(w, body)
			}))
			t.Cleanup(srv.Close)
			c := outbound.New(outbound.Options{AllowLoopback: true, MaxResponseBytes: limit})

			body, err := func() ([]byte, error) {
				resp, err := get(t, c, srv.URL)
				if err != nil {
					return nil, err
				}
				defer resp.Body.Close()
				return io.ReadAll(resp.Body)
			}()

			var tooLarge *outbound.ResponseTooLargeError
			if tt.wantErr {
				if !errors.As(err, &tooLarge) {
					t.Fatalf("error = %v, want *ResponseTooLargeError", err)
				}
				if !strings.Contains(err.Error(), "1 KiB") {
					t.Errorf("error %q does not name the 1 KiB limit", err)
				}
				if len(body) > limit {
					t.Errorf("read %d bytes, want at most %d", len(body), limit)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			if len(body) != tt.size {
				t.Errorf("read %d bytes, want %d", len(body), tt.size)
			}
		})
	}
}

func TestDoResponseHeaderLimit(t *testing.T) {
	tests := []struct {
		name      string
		limit     int64
		padding   int
		wantLimit string
	}{
		{name: "under limit", limit: 4 << 10, padding: 2 << 10},
		{name: "over limit", limit: 4 << 10, padding: 8 << 10, wantLimit: "4 KiB"},
		{name: "over default limit", padding: outbound.DefaultMaxResponseHeaderBytes + 1, wantLimit: "256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Padding", strings.Repeat("p", tt.padding))
				io.WriteString(w, "{}")
			}))
			t.Cleanup(srv.Close)
			c := outbound.New(outbound.Options{AllowLoopback: true, MaxResponseHeaderBytes: tt.limit})

			resp, err := get(t, c, srv.URL)
			if err == nil {
				resp.Body.Close()
			}

			if tt.wantLimit == "" {
				if err != nil {
					t.Fatalf("error = %v, want none", err)
				}
				return
			}
			var tooLarge *outbound.ResponseHeaderTooLargeError
			if !errors.As(err, &tooLarge) {
				t.Fatalf("error = %v, want *ResponseHeaderTooLargeError", err)
			}
			if !strings.Contains(err.Error(), tt.wantLimit) {
				t.Errorf("error %q does not name the %s limit", err, tt.wantLimit)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			if !strings.Contains(err.Error(), "response headers from "+host) {
				t.Errorf("error %q does not name the host %s", err, host)
			}
		})
	}
}
