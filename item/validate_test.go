package item

import (
	"errors"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func validItem() fieldlink.Item {
	return fieldlink.Item{
		ID:   "item-1",
		Name: "Reporter office",
		Type: fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{
			Method:  "GET",
			Path:    "/users/${reporter.emailAddress}?$select=officeLocation",
			Headers: map[string]string{"ConsistencyLevel": "eventual"},
		},
		Root:         "$",
		Template:     "${row.officeLocation}",
		CacheSeconds: 300,
	}
}

func TestValidateAcceptsValidItem(t *testing.T) {
	if err := Validate(validItem()); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fieldlink.Item)
		want   []string
	}{
		{
			name:   "unsupported method",
			change: func(it *fieldlink.Item) { it.Request.Method = "DELETE" },
			want:   []string{"request.method", `"DELETE"`, "GET or POST"},
		},
		{
			name:   "path without leading slash",
			change: func(it *fieldlink.Item) { it.Request.Path = "users/${reporter.emailAddress}" },
			want:   []string{"request.path", "must start with a single /"},
		},
		{
			name:   "scheme-relative path",
			change: func(it *fieldlink.Item) { it.Request.Path = "//evil.example/users" },
			want:   []string{"request.path", "must start with a single /"},
		},
		{
			name:   "unclosed placeholder",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users/${reporter.emailAddress" },
			want:   []string{"request.path", "position 8", "not closed"},
		},
		{
			name:   "expression syntax error",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users/${reporter.}" },
			want:   []string{"request.path", "position 8", "at character 9 of the expression"},
		},
		{
			name:   "unknown variable",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users/${reportr.emailAddress}" },
			want:   []string{"request.path", "unknown name reportr"},
		},
		{
			name:   "row in a request",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users/${row.id}" },
			want:   []string{"request.path", "unknown name row"},
		},
		{
			name:   "placeholder as query name",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users?${userInput}=1" },
			want:   []string{"request.path", "query parameter name"},
		},
		{
			name:   "fragment",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users#top" },
			want:   []string{"request.path", "fragment"},
		},
		{
			name:   "invalid header name",
			change: func(it *fieldlink.Item) { it.Request.Headers = map[string]string{"X Bad": "1"} },
			want:   []string{"request.headers.X Bad", "not a valid header name"},
		},
		{
			name:   "line break in header literal",
			change: func(it *fieldlink.Item) { it.Request.Headers = map[string]string{"X-Note": "a\r\nX-Admin: 1"} },
			want:   []string{"request.headers.X-Note", "line break"},
		},
		{
			name:   "header expression error",
			change: func(it *fieldlink.Item) { it.Request.Headers = map[string]string{"X-User": "${reporter.mail +}"} },
			want:   []string{"request.headers.X-User", "position 1"},
		},
		{
			name: "body with GET",
			change: func(it *fieldlink.Item) {
				it.Request.Body = `{"a": 1}`
			},
			want: []string{"request.body", "GET"},
		},
		{
			name: "body with placeholders not JSON",
			change: func(it *fieldlink.Item) {
				it.Request.Method = "POST"
				it.Request.Body = `mail=${reporter.emailAddress}`
			},
			want: []string{"request.body", "valid JSON"},
		},
		{
			name: "body expression error",
			change: func(it *fieldlink.Item) {
				it.Request.Method = "POST"
				it.Request.Body = `{"mail": ${nosuch}}`
			},
			want: []string{"request.body", "position 10", "unknown name nosuch"},
		},
		{
			name:   "root parse error",
			change: func(it *fieldlink.Item) { it.Root = "$.value[" },
			want:   []string{"root", `"$.value["`, "at position 9"},
		},
		{
			name:   "root without dollar",
			change: func(it *fieldlink.Item) { it.Root = "value[*]" },
			want:   []string{"root", "position 1"},
		},
		{
			name:   "empty template",
			change: func(it *fieldlink.Item) { it.Template = " " },
			want:   []string{"template", "empty"},
		},
		{
			name:   "template expression error",
			change: func(it *fieldlink.Item) { it.Template = "Office: ${row.officeLocation ??}" },
			want:   []string{"template", "position 9"},
		},
		{
			name:   "missing type",
			change: func(it *fieldlink.Item) { it.Type = "" },
			want:   []string{"type is required"},
		},
		{
			name:   "unknown type",
			change: func(it *fieldlink.Item) { it.Type = "checkbox" },
			want:   []string{"type", `"checkbox"`, "read-only, select or multi-select"},
		},
		{
			name:   "negative cache seconds",
			change: func(it *fieldlink.Item) { it.CacheSeconds = -1 },
			want:   []string{"cacheSeconds", "-1"},
		},
		{
			name:   "cache seconds over a day",
			change: func(it *fieldlink.Item) { it.CacheSeconds = MaxCacheSeconds + 1 },
			want:   []string{"cacheSeconds", "86401"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := validItem()
			tt.change(&it)

			err := Validate(it)

			var fe *fieldlink.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Validate error = %v, want *fieldlink.Error", err)
			}
			if fe.Code != fieldlink.EInvalid {
				t.Errorf("Code = %q, want %q", fe.Code, fieldlink.EInvalid)
			}
			for _, want := range tt.want {
				if !strings.Contains(fe.Message, want) {
					t.Errorf("message %q does not contain %q", fe.Message, want)
				}
			}
		})
	}
}

func TestValidateAcceptsPostJSONBody(t *testing.T) {
	it := validItem()
	it.Request.Method = "post"
	it.Request.Path = "/rest/api/3/search/jql"
	it.Request.Body = `{"jql": "reporter = \"${reporter.accountId}\"", "maxResults": ${userInput ?? 10}}`

	if err := Validate(it); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}
