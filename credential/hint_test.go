package credential

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

func TestHintForErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // a phrase the hint must contain
	}{
		{"entra wrong secret", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{7000215}}, "not its Secret ID"},
		{"entra wrong secret in description", &TokenError{Status: 401, Code: "invalid_client", Description: "AADSTS7000215: Invalid client secret provided."}, "not its Secret ID"},
		{"entra expired secret", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{7000222}}, "has expired"},
		{"entra secret missing", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{7000216}}, "carried no client secret"},
		{"entra secret missing in body", &TokenError{Status: 401, Code: "invalid_client", ErrorCodes: []int{7000218}}, "set client authentication to body"},
		{"entra app not found", &TokenError{Status: 400, Code: "unauthorized_client", ErrorCodes: []int{700016}}, "Application (client) ID"},
		{"entra tenant not found", &TokenError{Status: 400, Code: "invalid_request", ErrorCodes: []int{90002}}, "Overview > Endpoints"},
		{"entra scope not default", &TokenError{Status: 400, Code: "invalid_scope", ErrorCodes: []int{1002012}}, "https://graph.microsoft.com/.default"},
		{"entra invalid scope", &TokenError{Status: 400, Code: "invalid_scope", ErrorCodes: []int{70011}}, "https://graph.microsoft.com/.default"},
		{"entra resource not found", &TokenError{Status: 400, Code: "invalid_resource", ErrorCodes: []int{500011}}, "https://graph.microsoft.com/.default"},
		{"rfc invalid client", &TokenError{Status: 401, Code: "invalid_client"}, "client authentication (header or body)"},
		{"rfc unauthorized client", &TokenError{Status: 400, Code: "unauthorized_client"}, "client credentials grant"},
		{"token url not found", &TokenError{Status: 404}, "/oauth2/v2.0/token"},
		{"token endpoint failing", &TokenError{Status: 503}, "Try again later"},
		{"graph invalid token", &APIError{Status: 401, Code: "InvalidAuthenticationToken"}, "https://graph.microsoft.com/.default"},
		{"graph permission denied", &APIError{Status: 403, Code: "Authorization_RequestDenied"}, `"Grant admin consent"`},
		{"graph permission names example", &APIError{Status: 403, Code: "Authorization_RequestDenied"}, "User.Read.All"},
		{"api not found", &APIError{Status: 404}, "test path"},
		{"blocked loopback", fmt.Errorf("wrapped: %w", &outbound.AddressError{Addr: netip.MustParseAddr("127.0.0.1"), Reason: "loopback", Setting: outbound.SettingAllowLoopback}), "--allow-loopback"},
		{"blocked private", &outbound.AddressError{Addr: netip.MustParseAddr("10.0.0.1"), Reason: "private network", Setting: outbound.SettingAllowPrivate}, "--allow-private-networks"},
		{"blocked metadata", &outbound.AddressError{Addr: netip.MustParseAddr("169.254.169.254"), Reason: "link-local"}, "never connects"},
		{"dns not found", fmt.Errorf("fetch token: %w", &net.DNSError{Err: "no such host", Name: "login.exmaple", IsNotFound: true}), "Check its spelling"},
		{"dns failure", &net.DNSError{Err: "server misbehaving", Name: "login.example"}, "DNS resolver"},
		{"deadline", fmt.Errorf("fetch token: %w", context.DeadlineExceeded), "timed out"},
		{"too large", &outbound.ResponseTooLargeError{Host: "api.example", Limit: 10 << 20}, "$select"},
		{"unknown", fmt.Errorf("something else"), ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		hint := Hint(tt.err)
		if tt.want == "" {
			if hint != "" {
				t.Errorf("Hint(%s) = %q, want none", tt.name, hint)
			}
			continue
		}
		if !strings.Contains(hint, tt.want) {
			t.Errorf("Hint(%s) = %q, want it to contain %q", tt.name, hint, tt.want)
		}
	}
}

func TestHintConnectionRefused(t *testing.T) {
	// Take a free port and close it, so nothing listens there.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := listener.Addr().String()
	listener.Close()

	err = fetchError(t, "http://"+addr+"/token")

	if hint := Hint(err); !strings.Contains(hint, "Nothing accepts connections") {
		t.Errorf("Hint(%v) = %q, want the connection refused advice", err, hint)
	}
}

func TestHintUnknownAuthority(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	// The server logs each rejected handshake, which is the expected outcome.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	err := fetchError(t, srv.URL+"/token")

	if hint := Hint(err); !strings.Contains(hint, "caBundle") {
		t.Errorf("Hint(%v) = %q, want the CA bundle advice", err, hint)
	}
}

func TestHintPlainHTTPToTLS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	httpsURL := strings.Replace(srv.URL, "http://", "https://", 1)

	err := fetchError(t, httpsURL+"/token")

	if hint := Hint(err); !strings.Contains(hint, "plain HTTP") {
		t.Errorf("Hint(%v) = %q, want the plain HTTP advice", err, hint)
	}
}

func TestHintTokenTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cache := NewCache(loopbackClients(), nil)
	ds := oauthDatasource(srv.URL, fieldlink.ClientAuthHeader)
	ds.TimeoutSeconds = 1
	authorizer, err := cache.Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example/v1/me", nil)

	err = authorizer.Authorize(t.Context(), req)

	if hint := Hint(err); !strings.Contains(hint, "timed out") {
		t.Errorf("Hint(%v) = %q, want the timeout advice", err, hint)
	}
}
