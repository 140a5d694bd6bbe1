package item

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitTemplateParts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []part
	}{
		{
			name: "literal only",
			src:  "/me",
			want: []part{{literal: "/me"}},
		},
		{
			name: "placeholder between literals",
			src:  "/users/${reporter.emailAddress}/manager",
			want: []part{
				{literal: "/users/"},
				{expr: "reporter.emailAddress", isExpr: true, offset: 7},
				{literal: "/manager", offset: 31},
			},
		},
		{
			name: "braces and strings inside the expression",
			src:  `${issue.fields["a}"] ?? {"k": "}"}.k}!`,
			want: []part{
				{expr: `issue.fields["a}"] ?? {"k": "}"}.k`, isExpr: true},
				{literal: "!", offset: 37},
			},
		},
		{
			name: "escaped quote inside an expression string",
			src:  `${userInput ?? "a\"}"}`,
			want: []part{{expr: `userInput ?? "a\"}"`, isExpr: true}},
		},
		{
			name: "dollar without brace stays literal",
			src:  "/users?$select=mail",
			want: []part{{literal: "/users?$select=mail"}},
		},
		{
			name: "spaces around the expression are trimmed",
			src:  "${ userInput }",
			want: []part{{expr: "userInput", isExpr: true}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitTemplate(tt.src)
			if err != nil {
				t.Fatalf("splitTemplate(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(part{})); diff != "" {
				t.Errorf("splitTemplate(%q) (-got +want):\n%s", tt.src, diff)
			}
		})
	}
}

func TestSplitTemplateErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{src: "/users/${reporter.emailAddress", want: "placeholder at position 8: ${ is not closed"},
		{src: `/users/${userInput ?? "x}`, want: "string literal is not closed"},
		{src: "/users/${ }", want: "placeholder at position 8 is empty"},
	}

	for _, tt := range tests {
		_, err := splitTemplate(tt.src)
		if err == nil {
			t.Errorf("splitTemplate(%q) succeeded, want an error containing %q", tt.src, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("splitTemplate(%q) error %q, want it to contain %q", tt.src, err, tt.want)
		}
	}
}
