package item

import (
	"fmt"
	"strings"
)

// part is a piece of a template: literal text, or the expression source of
// a ${…} placeholder.
type part struct {
	literal string
	expr    string
	isExpr  bool
	// offset is the byte offset of the part in the template.
	offset int
}

// splitTemplate splits src into literal text and ${…} placeholders. The end
// of a placeholder is the first "}" outside the expression's own braces and
// string literals, so `${issue.fields["a}"] ?? "}"}` is one placeholder.
func splitTemplate(src string) ([]part, error) {
	var parts []part
	start := 0

	for i := 0; i < len(src); i++ {
		if src[i] != '$' || i+1 >= len(src) || src[i+1] != '{' {
			continue
		}

		if i > start {
			parts = append(parts, part{literal: src[start:i], offset: start})
		}

		end, err := placeholderEnd(src, i+2)
		if err != nil {
			return nil, fmt.Errorf("placeholder at position %d: %w", i+1, err)
		}

		source := strings.TrimSpace(src[i+2 : end])
		if source == "" {
			return nil, fmt.Errorf("placeholder at position %d is empty; write an expression such as ${reporter.emailAddress}", i+1)
		}
		parts = append(parts, part{expr: source, isExpr: true, offset: i})

		i = end
		start = end + 1
	}

	if start < len(src) {
		parts = append(parts, part{literal: src[start:], offset: start})
	}
	return parts, nil
}

// placeholderEnd returns the index of the "}" that closes the placeholder
// whose expression starts at from.
func placeholderEnd(src string, from int) (int, error) {
	depth := 0
	var quote byte

	for j := from; j < len(src); j++ {
		c := src[j]

		if quote != 0 {
			if c == '\\' && quote != '`' {
				j++
				continue
			}
			if c == quote {
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
