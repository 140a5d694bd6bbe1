package item

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestDecodeResponseJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        any
	}{
		{name: "plain", contentType: "application/json", body: `{"a": 1}`, want: map[string]any{"a": int64(1)}},
		{name: "byte order mark", contentType: "application/json; charset=utf-8", body: "\xEF\xBB\xBF{\"a\": \"b\"}", want: map[string]any{"a": "b"}},
		{name: "wrong content type", contentType: "text/html", body: `[1.5, true]`, want: []any{1.5, true}},
		{name: "no content type", body: ` "text" `, want: "text"},
		{name: "empty body", contentType: "application/json", body: "", want: nil},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := fieldlink.UpstreamResponse{Status: 200, Header: http.Header{}, Body: []byte(tt.body)}
			if tt.contentType != "" {
				resp.Header.Set("Content-Type", tt.contentType)
			}

			got, err := decodeResponse(resp)

			if err != nil {
				t.Fatalf("decodeResponse: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("document (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDecodeResponseHTMLSignInPage(t *testing.T) {
	page := "<!DOCTYPE html>\n<html>\n  <head><title>Sign in to your account</title></head>\n" + strings.Repeat("<div>x</div>", 100)
	resp := fieldlink.UpstreamResponse{
		Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		Body:   []byte(page),
	}

	_, err := decodeResponse(resp)

	var notJSON *NotJSONError
	if !errors.As(err, &notJSON) {
		t.Fatalf("decodeResponse error = %v, want *NotJSONError", err)
	}
	if notJSON.Status != 200 {
		t.Errorf("Status = %d, want 200", notJSON.Status)
	}
	if notJSON.ContentType != "text/html; charset=utf-8" {
		t.Errorf("ContentType = %q", notJSON.ContentType)
	}
	if !strings.HasPrefix(notJSON.Excerpt, "<!DOCTYPE html> <html> <head><title>Sign in") {
		t.Errorf("Excerpt = %q, want the start of the page with whitespace collapsed", notJSON.Excerpt)
	}
	if !strings.HasSuffix(notJSON.Excerpt, "…") || len(notJSON.Excerpt) > excerptLength+len("…") {
		t.Errorf("Excerpt = %q, want at most %d bytes ending in …", notJSON.Excerpt, excerptLength)
	}
}

func TestDecodeResponseTrailingData(t *testing.T) {
	resp := fieldlink.UpstreamResponse{Status: 200, Body: []byte(`{"a": 1} }`)}

	_, err := decodeResponse(resp)

	var notJSON *NotJSONError
	if !errors.As(err, &notJSON) {
		t.Fatalf("decodeResponse error = %v, want *NotJSONError", err)
	}
}

func TestDecodeResponseStatusErrors(t *testing.T) {
	tests := []struct {
		name string
		resp fieldlink.UpstreamResponse
		want UpstreamStatusError
		text string
	}{
		{
			name: "Microsoft Graph error",
			resp: fieldlink.UpstreamResponse{Status: 404, Body: []byte(`{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`)},
			want: UpstreamStatusError{
				Status:  404,
				Code:    "Request_ResourceNotFound",
				Message: "Resource 'x' does not exist.",
				Excerpt: `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`,
			},
			text: "upstream returned HTTP 404 (Request_ResourceNotFound): Resource 'x' does not exist.; check the item's request path",
		},
		{
			name: "Jira error",
			resp: fieldlink.UpstreamResponse{Status: 400, Body: []byte(`{"errorMessages":["The value 'X' does not exist for the field 'project'."],"errors":{"jql":"bad","a":"b"}}`)},
			want: UpstreamStatusError{
				Status:  400,
				Message: "The value 'X' does not exist for the field 'project'.; a: b; jql: bad",
				Excerpt: `{"errorMessages":["The value 'X' does not exist for the field 'project'."],"errors":{"jql":"bad","a":"b"}}`,
			},
			text: "upstream returned HTTP 400: The value 'X' does not exist",
		},
		{
			name: "HTML error page",
			resp: fieldlink.UpstreamResponse{Status: 502, Body: []byte("<html>\n<body>Bad gateway</body></html>")},
			want: UpstreamStatusError{Status: 502, Excerpt: "<html> <body>Bad gateway</body></html>"},
			text: `upstream returned HTTP 502: "<html> <body>Bad gateway</body></html>"`,
		},
		{
			name: "unauthorized",
			resp: fieldlink.UpstreamResponse{Status: 401},
			want: UpstreamStatusError{Status: 401},
			text: "upstream returned HTTP 401; check the datasource's authentication settings",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeResponse(tt.resp)

			var statusErr *UpstreamStatusError
			if !errors.As(err, &statusErr) {
				t.Fatalf("decodeResponse error = %v, want *UpstreamStatusError", err)
			}
			if diff := cmp.Diff(*statusErr, tt.want); diff != "" {
				t.Errorf("error (-got +want):\n%s", diff)
			}
			if !strings.HasPrefix(err.Error(), tt.text) {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), tt.text)
			}
		})
	}
}

func TestExcerptKeepsValidUTF8(t *testing.T) {
	body := []byte(strings.Repeat("a", excerptLength-1) + "é and more")

	got := excerpt(body)

	if want := strings.Repeat("a", excerptLength-1) + "…"; got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
}
