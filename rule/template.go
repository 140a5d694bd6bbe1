package rule

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/fieldlink/fieldlink/safeexpr"
)

// MissingValueError reports that a ${…} placeholder of a rule's action had
// no value (nil, an empty string or an empty list) and no ?? default, so
// none of the actions ran.
type MissingValueError struct {
	Rule string
	// Action is the action that contains the placeholder: "fields.<id>", "addLabels",
	// "comment" or "requestParticipants".
	Action string
	// Expr is the placeholder's expression, such as `items["Manager"]`.
	Expr string
}

// Error returns the rule, the action and the expression.
func (e *MissingValueError) Error() string {
	return fmt.Sprintf("rule %q not applied: ${%s} in %s has no value; give it a default with ??, such as ${%s ?? \"none\"}, or change the condition so the rule only matches tickets that have it",
		e.Rule, e.Expr, e.Action, e.Expr)
}

// template is a compiled text with ${…} placeholders.
type template struct {
	parts []templatePart
}

// templatePart is literal text, or a compiled placeholder when program is
// set.
type templatePart struct {
	literal    string
	source     string
	program    *vm.Program
	hasDefault bool
}

// compileTemplate compiles src over the same variables as a condition.
func compileTemplate(src string) (*template, error) {
	t := &template{}
	start := 0

	for i := 0; i+1 < len(src); i++ {
		if src[i] != '$' || src[i+1] != '{' {
			continue
		}
		if i > start {
			t.parts = append(t.parts, templatePart{literal: src[start:i]})
		}

		end, err := placeholderEnd(src, i+2)
		if err != nil {
			return nil, fmt.Errorf("placeholder at character %d: %w", i+1, err)
		}
		source := strings.TrimSpace(src[i+2 : end])
		if source == "" {
			return nil, fmt.Errorf("placeholder at character %d is empty; write an expression such as ${items[\"Manager\"]}", i+1)
		}

		part, err := compilePlaceholder(source)
		if err != nil {
			return nil, fmt.Errorf("${%s}: %w", source, err)
		}
		t.parts = append(t.parts, part)

		i = end
		start = end + 1
	}

	if start < len(src) {
		t.parts = append(t.parts, templatePart{literal: src[start:]})
	}
	return t, nil
}

func compilePlaceholder(source string) (templatePart, error) {
	env := types.Map{
		itemsName:      types.TypeOf(map[string]string{}),
		itemValuesName: types.TypeOf(map[string][]string{}),
	}
	for _, name := range contextNames {
		env[name] = types.Any
	}

	program, err := expr.Compile(source, append(safeexpr.NilSafe(), expr.Env(env))...)
	if err != nil {
		return templatePart{}, safeexpr.OneLineError(err)
	}

	top, ok := program.Node().(*ast.BinaryNode)
	return templatePart{
		source:     source,
		program:    program,
		hasDefault: ok && top.Operator == "??",
	}, nil
}

// placeholderEnd returns the index of the "}" that closes the placeholder
// whose expression starts at from: the first "}" outside the expression's
// own braces and string literals.
func placeholderEnd(src string, from int) (int, error) {
	depth := 0
	var quote byte

	for j := from; j < len(src); j++ {
		c := src[j]
		if quote != 0 {
			if c == '\\' && quote != '`' {
				j++
			} else if c == quote {
				quote = 0
			}
			continue
		}

		switch c {
		case '"', '\'', '`':
			quote = c
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return j, nil
			}
			depth--
		}
	}

	if quote != 0 {
		return 0, fmt.Errorf("string literal is not closed; close it with %c", quote)
	}
	return 0, fmt.Errorf("${ is not closed; close it with }")
}

// missingValue is the error of render for a placeholder without a value.
type missingValue struct {
	expr string
}

func (m *missingValue) Error() string { return "missing value: " + m.expr }

// render returns the text with every placeholder replaced by its value's
// text. A placeholder without a value fails with *missingValue unless it
// ends in a ?? default, which lets an empty string through.
func (t *template) render(vars map[string]any) (string, error) {
	var b strings.Builder
	for _, part := range t.parts {
		if part.program == nil {
			b.WriteString(part.literal)
			continue
		}

		out, err := expr.Run(part.program, vars)
		if err != nil {
			return "", fmt.Errorf("evaluate ${%s}: %w", part.source, safeexpr.OneLineError(err))
		}

		text, ok, err := valueText(out)
		if err != nil {
			return "", fmt.Errorf("${%s}: %w", part.source, err)
		}
		if !ok || (text == "" && !part.hasDefault) {
			return "", &missingValue{expr: part.source}
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// valueText returns the text of a placeholder's value. ok is false for nil
// and for an empty list. A list of scalars is joined with ", ".
func valueText(v any) (text string, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	case int:
		return strconv.Itoa(v), true, nil
	case int64:
		return strconv.FormatInt(v, 10), true, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true, nil
	case json.Number:
		return v.String(), true, nil
	case []string:
		return strings.Join(v, ", "), len(v) > 0, nil
	case []any:
		texts := make([]string, 0, len(v))
		for _, element := range v {
			text, ok, err := valueText(element)
			if err != nil {
				return "", false, err
			}
			if ok {
				texts = append(texts, text)
			}
		}
		return strings.Join(texts, ", "), len(texts) > 0, nil
	}
	return "", false, fmt.Errorf("the value is a %T, not text: pick one of its members, such as reporter.displayName", v)
}
