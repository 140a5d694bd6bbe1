package outbound_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink/outbound"
)

func TestExcerptRedacts(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		secrets []string
		want    string
	}{
		{
			name: "plain text kept",
			body: `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`,
			want: `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`,
		},
		{
			name:    "known secret",
			body:    `invalid key s3cr3t+value for this tenant`,
			secrets: []string{"s3cr3t+value"},
			want:    `invalid key [REDACTED] for this tenant`,
		},
		{
			name:    "known secret url encoded",
			body:    `client_id=abc&key=s3cr3t%2Bvalue`,
			secrets: []string{"s3cr3t+value"},
			want:    `client_id=abc&key=[REDACTED]`,
		},
		{
			name: "jwt",
			body: `token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl was rejected`,
			want: `token [REDACTED] was rejected`,
		},
		{
			name: "bearer value",
			body: `header was Bearer abcdefgh12345678`,
			want: `header was Bearer [REDACTED]`,
		},
		{
			name: "short bearer value",
			body: `rejected bearer tok-1.`,
			want: `rejected bearer [REDACTED]`,
		},
		{
			name: "basic value",
			body: `got Basic dXNlcjpwYXNz`,
			want: `got Basic [REDACTED]`,
		},
		{
			name: "basic prose kept",
			body: `basic auth is disabled`,
			want: `basic auth is disabled`,
		},
		{
			name: "basic long word kept",
			body: `Basic authentication with passwords is deprecated.`,
			want: `Basic authentication with passwords is deprecated.`,
		},
		{
			name: "basic lower-case credentials",
			body: `got basic YWRhQGZhYnJpa2FtLmV4YW1wbGU6cHc=`,
			want: `got basic [REDACTED]`,
		},
		{
			name: "json token member",
			body: `{"access_token":"opaque-123","token_type":"Bearer","expires_in":3599}`,
			want: `{"access_token":"[REDACTED]","token_type":"[REDACTED]","expires_in":3599}`,
		},
		{
			name: "form secret",
			body: `client_secret=abc&grant_type=client_credentials`,
			want: `client_secret=[REDACTED]&grant_type=client_credentials`,
		},
		{
			name: "whitespace collapsed",
			body: "line one\r\n\tline two\n",
			want: "line one line two",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outbound.Excerpt([]byte(tt.body), tt.secrets...); got != tt.want {
				t.Errorf("Excerpt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExcerptLength(t *testing.T) {
	body := strings.Repeat("é", 400) // 800 bytes

	got := outbound.Excerpt([]byte(body))

	if !strings.HasSuffix(got, "…") {
		t.Errorf("Excerpt = %q, want an ellipsis at the end", got)
	}
	text := strings.TrimSuffix(got, "…")
	if len(text) > outbound.ExcerptBytes {
		t.Errorf("excerpt has %d bytes, want at most %d", len(text), outbound.ExcerptBytes)
	}
	if !utf8.ValidString(text) {
		t.Errorf("excerpt %q is not valid UTF-8", text)
	}
}

func TestExcerptRedactsBeforeCutting(t *testing.T) {
	secret := "0123456789abcdef0123456789"
	body := strings.Repeat("a", outbound.ExcerptBytes-10) + secret

	got := outbound.Excerpt([]byte(body), secret)

	if strings.Contains(got, secret[:10]) {
		t.Errorf("Excerpt %q contains the start of the secret", got)
	}
}
