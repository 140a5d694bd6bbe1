package entra_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

const (
	tenantID = "6c3a1d0d-b9ac-4fb3-8387-0df407ea6cbe"

	clientID = "4f1f14e4-a464-453b-8a56-6d8792fc1373"
	secretID = "022951dc-9977-4e25-8e48-57b66e553466"
	// secret contains every character that RFC 6749 §2.3.1 form-encoding
	// changes or that breaks a naive "id:secret" split.
	secret = "Qx8+b/c:d=e%f~g h"

	expiredClientID = "edce1248-cdf5-4a5c-b8fe-fa151b368c8f"
	expiredSecret   = "old-secret-value"

	graphResource = "https://graph.microsoft.com"
	graphScope    = graphResource + "/.default"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	server *entra.Server
	http   *httptest.Server
	clock  *clock
}

func (f fixture) tokenURL(tenant string) string {
	return f.http.URL + "/" + tenant + "/oauth2/v2.0/token"
}

// setup starts a server for tenantID with two apps. Each edit changes the
// options before New.
func setup(t *testing.T, edits ...func(*entra.Options)) fixture {
	t.Helper()

	c := &clock{now: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)}
	opts := entra.Options{
		TenantID: tenantID,
		Apps: []entra.App{
			{
				ClientID:     clientID,
				DisplayName:  "fieldlink",
				ClientSecret: secret,
				SecretID:     secretID,
				Roles:        []string{"User.Read.All"},
			},
			{
				ClientID:      expiredClientID,
				DisplayName:   "old integration",
				ClientSecret:  expiredSecret,
				SecretExpires: c.now.Add(-time.Hour),
			},
		},
		Resources: []string{graphResource},
		Now:       c.Now,
	}
	for _, edit := range edits {
		edit(&opts)
	}
	srv := entra.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	return fixture{server: srv, http: ts, clock: c}
}

// postForm sends a token request. basic, when not nil, is the raw
// "user:password" pair to base64-encode into the Authorization header.
func postForm(t *testing.T, target string, form url.Values, basic *[2]string, header http.Header) (*http.Response, []byte) {
	t.Helper()

	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for name, values := range header {
		req.Header[name] = values
	}
	if basic != nil {
		pair := basic[0] + ":" + basic[1]
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp, body
}

func decodeJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

func TestUnknownPathNotFound(t *testing.T) {
	f := setup(t)

	for _, path := range []string{"/", "/" + tenantID + "/oauth2/token", "/" + tenantID + "/oauth2/v2.0/authorize"} {
		resp, err := http.Post(f.http.URL+path, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()

		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: status = %d, want 404", path, resp.StatusCode)
		}
	}

	if got := f.server.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests() = %d after requests to other paths, want 0", got)
	}
}
