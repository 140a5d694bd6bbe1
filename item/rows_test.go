package item

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectRows(t *testing.T) {
	doc, err := decodeJSON([]byte(`{
		"value": [{"mail": "a@example.com"}, {"mail": "b@example.com"}],
		"odata.context": "users",
		"display name": "Ada",
		"nested": {"list": [1, 2, 3]}
	}`))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		root string
		want []any
	}{
		{root: "$.value[*].mail", want: []any{"a@example.com", "b@example.com"}},
		{root: "$.value[1].mail", want: []any{"b@example.com"}},
		{root: "$['odata.context']", want: []any{"users"}},
		{root: `$["display name"]`, want: []any{"Ada"}},
		{root: "$.nested.list[-1]", want: []any{int64(3)}},
		{root: "$.value[?@.mail == 'b@example.com'].mail", want: []any{"b@example.com"}},
		{root: "$.absent[*]", want: []any{}},
		{root: "$", want: []any{doc}},
		{root: "", want: []any{doc}},
	}

	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			path, err := compileRoot(tt.root)
			if err != nil {
				t.Fatalf("compileRoot(%q): %v", tt.root, err)
			}

			got := selectRows(path, doc)

			if diff := cmp.Diff([]any(got), tt.want); diff != "" {
				t.Errorf("rows (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSelectRowsOrdersObjectMembers(t *testing.T) {
	doc, err := decodeJSON([]byte(`{
		"users": {"u2": {"office": "London"}, "u3": {"office": "Oslo"}, "u1": {"office": "Paris"}},
		"list": ["second", "first"],
		"nested": {"b": {"office": "Tokyo"}, "a": [{"office": "Lima"}, {"c": {"office": "Rome"}}]}
	}`))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		root string
		want []any
	}{
		{root: "$.users.*.office", want: []any{"Paris", "London", "Oslo"}},
		{root: "$.users[?@.office != 'Oslo'].office", want: []any{"Paris", "London"}},
		{root: "$.nested..office", want: []any{"Lima", "Rome", "Tokyo"}},
		{root: "$.list[1,0]", want: []any{"first", "second"}},
		{root: "$['list','users'][0]", want: []any{"second"}},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			path, err := compileRoot(tt.root)
			if err != nil {
				t.Fatalf("compileRoot(%q): %v", tt.root, err)
			}

			// Go's map iteration order changes between runs, so one
			// selection could match by chance.
			for range 20 {
				if diff := cmp.Diff(selectRows(path, doc), tt.want); diff != "" {
					t.Fatalf("rows (-got +want):\n%s", diff)
				}
			}
		})
	}
}

func TestDisplayTemplateRows(t *testing.T) {
	env := map[string]any{"reporter": map[string]any{"displayName": "Ada"}}

	tests := []struct {
		name     string
		template string
		row      string
		want     string
		wantOK   bool
	}{
		{name: "string", template: "${row.officeLocation}", row: `{"officeLocation": "Paris"}`, want: "Paris", wantOK: true},
		{name: "literal text", template: "Office ${row.office} (${row.floor})", row: `{"office": "Lyon", "floor": 3}`, want: "Office Lyon (3)", wantOK: true},
		{name: "null", template: "${row.officeLocation}", row: `{"officeLocation": null}`, wantOK: false},
		{name: "missing", template: "Office ${row.officeLocation}", row: `{"mail": "a@example.com"}`, wantOK: false},
		{name: "empty string", template: "${row.officeLocation}", row: `{"officeLocation": ""}`, wantOK: false},
		{name: "empty list", template: "${row.businessPhones}", row: `{"businessPhones": []}`, wantOK: false},
		{name: "list", template: "${row.businessPhones}", row: `{"businessPhones": ["+33 1", null, "+33 2"]}`, want: "+33 1, +33 2", wantOK: true},
		{name: "first of empty list", template: "${row.businessPhones[0]}", row: `{"businessPhones": []}`, wantOK: false},
		{name: "integer", template: "${row.id}", row: `{"id": 12345678901234567}`, want: "12345678901234567", wantOK: true},
		{name: "large float", template: "${row.size}", row: `{"size": 1.5e21}`, want: "1500000000000000000000", wantOK: true},
		{name: "small float", template: "${row.ratio}", row: `{"ratio": 0.000001}`, want: "0.000001", wantOK: true},
		{name: "number beyond float", template: "${row.huge}", row: `{"huge": 1e400}`, want: "1e400", wantOK: true},
		{name: "boolean", template: "${row.accountEnabled}", row: `{"accountEnabled": false}`, want: "false", wantOK: true},
		{name: "object", template: "${row.manager}", row: `{"manager": {"id": "m1"}}`, want: `{"id":"m1"}`, wantOK: true},
		{name: "default", template: `${row.officeLocation ?? "Remote"}`, row: `{}`, want: "Remote", wantOK: true},
		{name: "context", template: "${row.office} for ${reporter.displayName}", row: `{"office": "Nice"}`, want: "Nice for Ada", wantOK: true},
		{name: "scalar row", template: "${row}", row: `"Paris"`, want: "Paris", wantOK: true},
		{name: "null row", template: "${row.officeLocation}", row: `null`, wantOK: false},
		{name: "expression", template: `${row.floor > 2 ? "upstairs" : "ground"}`, row: `{"floor": 3}`, want: "upstairs", wantOK: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			display, err := compileDisplay(tt.template)
			if err != nil {
				t.Fatalf("compileDisplay(%q): %v", tt.template, err)
			}
			row, err := decodeJSON([]byte(tt.row))
			if err != nil {
				t.Fatalf("decode row %s: %v", tt.row, err)
			}

			got, ok, err := display.render(row, env)

			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v (text %q)", ok, tt.wantOK, got)
			}
			if ok && got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
		})
	}
}
