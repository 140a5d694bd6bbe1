package item

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestRenderPathAndQueryEscaping(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		input string
		want  string
	}{
		{
			name:  "path segment",
			path:  "/users/${userInput}",
			input: "a/b?c#d e%f",
			want:  "/users/a%2Fb%3Fc%23d%20e%25f",
		},
		{
			name:  "guest user principal name",
			path:  "/users/${userInput}/manager",
			input: "ada_example.com#EXT#@tenant.onmicrosoft.com",
			want:  "/users/ada_example.com%23EXT%23@tenant.onmicrosoft.com/manager",
		},
		{
			name:  "query value",
			path:  "/search?q=${userInput}&top=5",
			input: "a&b=c d+e",
			want:  "/search?q=a%26b%3Dc+d%2Be&top=5",
		},
		{
			name:  "OData single-quoted literal",
			path:  "/users?$filter=mail eq '${userInput}'&$select=officeLocation",
			input: "o'brien@example.com",
			want:  "/users?$filter=mail%20eq%20'o%27%27brien%40example.com'&$select=officeLocation",
		},
		{
			name:  "JQL double-quoted literal",
			path:  `/rest/api/3/search/jql?jql=reporter = "${userInput}" AND status = Open`,
			input: `a"b\c`,
			want:  `/rest/api/3/search/jql?jql=reporter%20=%20"a%5C%22b%5C%5Cc"%20AND%20status%20=%20Open`,
		},
		{
			name:  "quote closed before the next placeholder",
			path:  "/users?$filter=mail eq '${userInput}' or id eq ${userInput}",
			input: "x'y",
			want:  "/users?$filter=mail%20eq%20'x%27%27y'%20or%20id%20eq%20x%27y",
		},
		{
			name:  "ampersand ends a quoted literal",
			path:  "/users?$filter=mail eq 'a&q=${userInput}",
			input: "x'y",
			want:  "/users?$filter=mail%20eq%20'a&q=x%27y",
		},
		{
			name:  "unicode",
			path:  "/users/${userInput}?q=${userInput}",
			input: "Zoë 東京",
			want:  "/users/Zo%C3%AB%20%E6%9D%B1%E4%BA%AC?q=Zo%C3%AB+%E6%9D%B1%E4%BA%AC",
		},
		{
			name:  "OData key in the path",
			path:  "/users('${userInput}')/manager",
			input: "o'brien/x",
			want:  "/users('o%27%27brien%2Fx')/manager",
		},
		{
			name:  "apostrophe in an earlier segment",
			path:  "/it's/${userInput}",
			input: "o'brien",
			want:  "/it's/o%27brien",
		},
		{
			name:  "literal plus kept as written",
			path:  "/search?q=a+b&v=${userInput}",
			input: "1",
			want:  "/search?q=a+b&v=1",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustRender(t, readOnlyItem(tt.path, "${row}"), ticket("ada@example.com", tt.input))
			if diff := cmp.Diff(req.Path, tt.want); diff != "" {
				t.Errorf("path (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRenderHeaderValues(t *testing.T) {
	it := readOnlyItem("/me", "${row}")
	it.Request.Headers = map[string]string{
		"x-reporter":       "${reporter.emailAddress}",
		"ConsistencyLevel": "eventual",
	}

	req := mustRender(t, it, ticket("ada@example.com", ""))

	want := http.Header{
		"X-Reporter":       {"ada@example.com"},
		"Consistencylevel": {"eventual"},
	}
	if diff := cmp.Diff(req.Header, want); diff != "" {
		t.Errorf("header (-got +want):\n%s", diff)
	}
}

func TestRenderJSONBody(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		input string
		want  string
	}{
		{
			name:  "inside a string",
			body:  `{"query": "mail:${userInput}"}`,
			input: "a\"b\\c\n</script>",
			want:  `{"query": "mail:a\"b\\c\n</script>"}`,
		},
		{
			name:  "whole value",
			body:  `{"mail": ${userInput}, "top": 1}`,
			input: `x", "admin": true, "y": "`,
			want:  `{"mail": "x\", \"admin\": true, \"y\": \"", "top": 1}`,
		},
		{
			name:  "object value",
			body:  `{"fields": ${issue.fields.priority}}`,
			input: "",
			want:  `{"fields": {"name":"High"}}`,
		},
		{
			name: "list value",
			body: `{"labels": ${issue.fields.labels}}`,
			want: `{"labels": ["printer","floor-3"]}`,
		},
		{
			name:  "JQL inside a JSON string",
			body:  `{"jql": "reporter = \"${userInput}\" AND status = Open"}`,
			input: `a" OR project = "X\`,
			want:  `{"jql": "reporter = \"a\\\" OR project = \\\"X\\\\\" AND status = Open"}`,
		},
		{
			name:  "string after an escaped quoted literal",
			body:  `{"jql": "summary ~ \"x\"", "text": "${userInput}"}`,
			input: `"`,
			want:  `{"jql": "summary ~ \"x\"", "text": "\""}`,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := readOnlyItem("/search", "${row}")
			it.Request.Method = "POST"
			it.Request.Body = tt.body

			req := mustRender(t, it, ticket("ada@example.com", tt.input))

			if diff := cmp.Diff(string(req.Body), tt.want); diff != "" {
				t.Errorf("body (-got +want):\n%s", diff)
			}
			if got := req.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
		})
	}
}

func TestRenderKeepsContentTypeHeader(t *testing.T) {
	it := readOnlyItem("/search", "${row}")
	it.Request.Method = "POST"
	it.Request.Body = `{"q": "${userInput}"}`
	it.Request.Headers = map[string]string{"Content-Type": "application/vnd.api+json"}

	req := mustRender(t, it, ticket("", "printer"))

	if got := req.Header.Get("Content-Type"); got != "application/vnd.api+json" {
		t.Errorf("Content-Type = %q, want the item's own", got)
	}
}

func TestRenderMethodDefaultsToGet(t *testing.T) {
	it := readOnlyItem("/me", "${row}")
	it.Request.Method = ""

	req := mustRender(t, it, fieldlink.TicketContext{})

	want := fieldlink.UpstreamRequest{Method: "GET", Path: "/me", Header: http.Header{}}
	if diff := cmp.Diff(req, want); diff != "" {
		t.Errorf("request (-got +want):\n%s", diff)
	}
}
