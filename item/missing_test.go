package item

import (
	"errors"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestRenderMissingValue(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
		tc   fieldlink.TicketContext
		want string
	}{
		{
			name: "no reporter",
			path: "/users/${reporter.emailAddress}",
			tc:   fieldlink.TicketContext{},
			want: "reporter.emailAddress",
		},
		{
			name: "hidden email address",
			path: "/users/${reporter.emailAddress}",
			tc:   ticket("", ""),
			want: "reporter.emailAddress",
		},
		{
			name: "nested key absent",
			path: "/users?q=${issue.fields.customfield_10050.value}",
			tc:   ticket("ada@example.com", ""),
			want: "issue.fields.customfield_10050.value",
		},
		{
			name: "index past the end",
			path: "/labels/${issue.fields.labels[5]}",
			tc:   ticket("ada@example.com", ""),
			want: "issue.fields.labels[5]",
		},
		{
			name: "empty string in query",
			path: "/search?q=${userInput}",
			tc:   ticket("ada@example.com", ""),
			want: "userInput",
		},
		{
			name: "empty default in path segment",
			path: `/users/${reporter.emailAddress ?? ""}`,
			tc:   ticket("", ""),
			want: `reporter.emailAddress ?? ""`,
		},
		{
			name: "missing in JSON body",
			body: `{"mail": "${reporter.emailAddress}"}`,
			tc:   ticket("", ""),
			want: "reporter.emailAddress",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := readOnlyItem(tt.path, "${row}")
			if tt.body != "" {
				it.Request.Method = "POST"
				it.Request.Path = "/search"
				it.Request.Body = tt.body
			}

			_, err := Render(it, tt.tc)

			var missing *MissingValueError
			if !errors.As(err, &missing) {
				t.Fatalf("Render error = %v, want *MissingValueError", err)
			}
			if missing.Expr != tt.want {
				t.Errorf("Expr = %q, want %q", missing.Expr, tt.want)
			}
			if got, want := err.Error(), "missing value: "+tt.want; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestRenderDefaults(t *testing.T) {
	tests := []struct {
		name string
		path string
		tc   fieldlink.TicketContext
		want string
	}{
		{
			name: "default used when absent",
			path: `/users/${reporter.emailAddress ?? "nobody"}`,
			tc:   fieldlink.TicketContext{},
			want: "/users/nobody",
		},
		{
			name: "default not used when present",
			path: `/users/${reporter.emailAddress ?? "nobody"}`,
			tc:   ticket("ada@example.com", ""),
			want: "/users/ada@example.com",
		},
		{
			name: "empty default allowed in a query value",
			path: `/search?q=${userInput ?? ""}&top=1`,
			tc:   fieldlink.TicketContext{},
			want: "/search?q=&top=1",
		},
		{
			name: "integer renders without exponent",
			path: "/projects/${project.id * 1000}",
			tc:   fieldlink.TicketContext{Project: map[string]any{"id": 10000}},
			want: "/projects/10000000",
		},
		{
			name: "float renders without exponent",
			path: "/projects/${project.size}",
			tc:   fieldlink.TicketContext{Project: map[string]any{"size": 1.5e21}},
			want: "/projects/1500000000000000000000",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustRender(t, readOnlyItem(tt.path, "${row}"), tt.tc)

			if req.Path != tt.want {
				t.Errorf("path = %q, want %q", req.Path, tt.want)
			}
		})
	}
}

func TestRenderInvalidValue(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		header string
		input  string
	}{
		{name: "dot segment", path: "/users/${userInput}/manager", input: "."},
		{name: "dot dot segment", path: "/users/${userInput}/manager", input: ".."},
		{name: "list in path", path: "/labels/${issue.fields.labels}"},
		{name: "object in query", path: "/search?q=${issue.fields.priority}"},
		{name: "line feed in header", path: "/me", header: "${userInput}", input: "a\nX-Admin: 1"},
		{name: "carriage return in header", path: "/me", header: "${userInput}", input: "a\rb"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := readOnlyItem(tt.path, "${row}")
			if tt.header != "" {
				it.Request.Headers = map[string]string{"X-Input": tt.header}
			}

			req, err := Render(it, ticket("ada@example.com", tt.input))

			var invalid *InvalidValueError
			if !errors.As(err, &invalid) {
				t.Fatalf("Render = %+v, %v; want *InvalidValueError", req, err)
			}
		})
	}
}

func TestUpstreamErrorMessageShortened(t *testing.T) {
	long := strings.Repeat("x", 100000)
	err := &UpstreamStatusError{Status: 404, Code: "Request_ResourceNotFound", Message: "Resource '" + long + "' does not exist"}

	if n := len(err.Error()); n > 500 {
		t.Errorf("message is %d bytes long, want it cut to about %d", n, maxMessageValue)
	}
	if got := pathOnly("/users/" + long + "?$select=id"); len(got) > maxMessageValue+len("…") {
		t.Errorf("path in messages is %d bytes long", len(got))
	}
}
