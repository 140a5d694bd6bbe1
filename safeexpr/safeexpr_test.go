package safeexpr

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/types"
)

func TestNilSafeMemberAccess(t *testing.T) {
	env := map[string]any{
		"reporter": map[string]any{"emailAddress": "ada@fabrikam.example"},
		"row":      map[string]any{"phones": []any{"+33 1", "+33 2"}},
	}
	tests := []struct {
		source string
		want   any
	}{
		{"reporter.emailAddress", "ada@fabrikam.example"},
		{"reporter.manager.mail", nil},
		{"project.key", nil},
		{"row.phones[0]", "+33 1"},
		{"row.phones[-1]", "+33 2"},
		{"row.phones[5]", nil},
		{`row["phones"][1]`, "+33 2"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			program, err := expr.Compile(tt.source, append(NilSafe(),
				expr.Env(types.Map{"reporter": types.Any, "row": types.Any, "project": types.Any}))...)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}

			got, err := expr.Run(program, env)

			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOneLineError(t *testing.T) {
	_, err := expr.Compile(`reporter.emailAddress ==`, expr.Env(types.Map{"reporter": types.Any}))

	msg := OneLineError(err).Error()

	if strings.Contains(msg, "\n") {
		t.Errorf("message spans lines: %q", msg)
	}
	if !strings.Contains(msg, "of the expression") {
		t.Errorf("message %q does not give the position", msg)
	}
}

func TestCheckUserFields(t *testing.T) {
	tests := []struct {
		source string
		want   string
	}{
		{"reporter.emailAddress", ""},
		{`reporter["displayName"] ?? "x"`, ""},
		{"currentUser.accountId + project.key", ""},
		{"reporter.emailAdress", "reporter.emailAdress is not a field of reporter"},
		{`currentUser["email"]`, "currentUser.email is not a field of currentUser"},
		{"project.anything", ""},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			err := CheckUserFields(tt.source)

			if tt.want == "" && err != nil {
				t.Errorf("error = %v, want none", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
