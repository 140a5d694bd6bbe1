package credential

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// proxyPage is a proxy's error page with a long style sheet before its
// text, as real ones have.
var proxyPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>502 Bad Gateway &amp; more</title>
<style>` + strings.Repeat(".notice p { margin: 0 0 1em 0; }\n", 200) + `</style></head>
<body><h1>Bad Gateway</h1><p>The proxy could not reach the server.</p></body></html>`

func TestTokenErrorHTMLProxyPage(t *testing.T) {
	srv := errorEndpoint(t, http.StatusBadGateway, "text/html; charset=utf-8", proxyPage)

	err := fetchError(t, srv.URL+"/tenant/oauth2/v2.0/token")

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	if !tokenErr.HTMLPage {
		t.Errorf("HTMLPage = false, want true")
	}
	if tokenErr.Status != http.StatusBadGateway {
		t.Errorf("Status = %d, want 502", tokenErr.Status)
	}
	want := `the response is an HTML page titled "502 Bad Gateway & more", not JSON, as a proxy or gateway sends`
	if tokenErr.Description != want {
		t.Errorf("Description = %q, want %q", tokenErr.Description, want)
	}
	msg := err.Error()
	if strings.Contains(msg, "<") || strings.Contains(msg, "margin") {
		t.Errorf("message %q shows the page's markup", msg)
	}
	if len(msg) > 300 {
		t.Errorf("message is %d bytes long, want a short one: %q", len(msg), msg)
	}
	if IsConfigError(err) {
		t.Errorf("IsConfigError = true for a proxy's 502, want false so requests continue")
	}
	if hint := Hint(err); !strings.Contains(hint, "proxy") {
		t.Errorf("Hint = %q, want advice about the proxy", hint)
	}
}

func TestTokenErrorHTMLWithoutTitle(t *testing.T) {
	page := "<html><head><style>body{color:red}</style><script>var x = 1;</script></head>" +
		"<body><!-- generated --><p>Service &lt;unavailable&gt;</p>\n<p>client_secret=" + awkwardSecret + "</p></body></html>"
	srv := errorEndpoint(t, http.StatusServiceUnavailable, "text/html", page)

	err := fetchError(t, srv.URL)

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	if !strings.Contains(tokenErr.Description, `an HTML page reading "Service <unavailable> client_secret=`) {
		t.Errorf("Description = %q, want the page's text", tokenErr.Description)
	}
	for _, hidden := range []string{"color:red", "var x", "generated", awkwardSecret} {
		if strings.Contains(err.Error(), hidden) {
			t.Errorf("message %q contains %q", err, hidden)
		}
	}
}

func TestTokenErrorJSONAsHTMLStaysJSON(t *testing.T) {
	srv := errorEndpoint(t, http.StatusBadRequest, "text/html", `{"error":"invalid_client","error_description":"bad secret"}`)

	err := fetchError(t, srv.URL)

	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		t.Fatalf("error = %v, want *TokenError", err)
	}
	if tokenErr.HTMLPage {
		t.Errorf("HTMLPage = true for a JSON body, want false")
	}
	if tokenErr.Code != "invalid_client" {
		t.Errorf("Code = %q, want invalid_client", tokenErr.Code)
	}
}

func TestHTMLPageErrorCaptivePortal(t *testing.T) {
	page := `<!doctype html><html><head><title>Network sign-in required</title></head><body>Accept the terms.</body></html>`
	srv := errorEndpoint(t, http.StatusOK, "text/html; charset=utf-8", page)

	err := fetchError(t, srv.URL+"/tenant/oauth2/v2.0/token")

	var pageErr *HTMLPageError
	if !errors.As(err, &pageErr) {
		t.Fatalf("error = %v, want *HTMLPageError", err)
	}
	if pageErr.Title != "Network sign-in required" {
		t.Errorf("Title = %q, want the page's title", pageErr.Title)
	}
	if !errors.Is(err, ErrInvalidTokenResponse) {
		t.Errorf("errors.Is(err, ErrInvalidTokenResponse) = false, want true")
	}
	for _, part := range []string{
		"token request to " + srv.URL + "/tenant/oauth2/v2.0/token",
		`an HTML page titled "Network sign-in required"`,
		"status 200 OK",
		"not a JSON token response",
	} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q does not contain %q", err, part)
		}
	}
	if hint := Hint(err); !strings.Contains(hint, "captive portal") {
		t.Errorf("Hint = %q, want advice about a captive portal", hint)
	}
}

func TestHTMLPageErrorRedactsSecret(t *testing.T) {
	page := `<html><head><title>Signed in as ` + awkwardSecret + `</title></head></html>`
	srv := errorEndpoint(t, http.StatusOK, "text/html", page)

	err := fetchError(t, srv.URL)

	if strings.Contains(err.Error(), awkwardSecret) {
		t.Errorf("message %q contains the client secret", err)
	}
}
