package outbound_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/outbound"
)

func TestRedactValues(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		secrets []string
		want    string
	}{
		{"secret", `key s3cr3t-value rejected`, []string{"s3cr3t-value"}, `key [REDACTED] rejected`},
		{"url encoded secret", `/users?key=a%2Bb%3Dc`, []string{"a+b=c"}, `/users?key=[REDACTED]`},
		{"names that mention a token kept", `{"nextPageToken":"page-2","access_token":"eyJhbGciOi.eyJzdWIi.sig"}`, nil,
			`{"nextPageToken":"page-2","access_token":"eyJhbGciOi.eyJzdWIi.sig"}`},
		{"empty secret ignored", `nothing to hide`, []string{""}, `nothing to hide`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outbound.RedactValues(tt.text, tt.secrets...); got != tt.want {
				t.Errorf("RedactValues(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestRedirectErrorsLeaveOutQuery(t *testing.T) {
	const key = "api-key-in-the-query-4f1c"
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(loop.Close)
	c := outbound.New(outbound.Options{AllowLoopback: true})

	_, err := get(t, c, loop.URL+"/users?key="+key)

	// The *url.Error around the error repeats the request URL, and callers
	// drop it, as upstream does.
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		t.Fatalf("Do error = %v, want a *url.Error", err)
	}
	msg := urlErr.Err.Error()
	if !strings.Contains(msg, "stopped after 5 redirects at "+loop.URL+"/users:") {
		t.Errorf("redirect error = %q, want one that names the URL without its query", msg)
	}
	if strings.Contains(msg, key) {
		t.Errorf("redirect error %q contains the API key of the query", msg)
	}
}
