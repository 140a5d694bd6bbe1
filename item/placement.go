package item

import (
	"fmt"
	"net/url"
	"strings"
)

// placement is where a ${…} value lands in a request, which decides how it is
// escaped. It is read from the template text around the placeholder.
type placement int

const (
	// inPathSegment is a value in the path, before any "?".
	inPathSegment placement = iota
	// inPathSingleQuoted is a value inside a '…' literal of the path, as in
	// OData's /users('${…}').
	inPathSingleQuoted
	// inQueryValue is a value after "=" in the query.
	inQueryValue
	// inQuerySingleQuoted is a value inside a '…' literal of a query value,
	// as in OData's $filter=mail eq '${…}'.
	inQuerySingleQuoted
	// inQueryDoubleQuoted is a value inside a "…" literal of a query value,
	// as in JQL's jql=reporter = "${…}".
	inQueryDoubleQuoted
	// inHeaderValue is a value in a header.
	inHeaderValue
	// inJSONString is a value inside a string of a JSON body.
	inJSONString
	// inJSONStringDoubleQuoted is a value inside a \"…\" literal within a
	// string of a JSON body, as in {"jql": "reporter = \"${…}\""}.
	inJSONStringDoubleQuoted
	// inJSONValue is a value where a JSON body expects a whole value.
	inJSONValue
	// inDisplay is a value in a display template, shown as text.
	inDisplay
)

// String returns the placement in the words of an error message.
func (p placement) String() string {
	switch p {
	case inPathSegment:
		return "a path segment"
	case inPathSingleQuoted:
		return "a single-quoted literal in the path"
	case inQueryValue:
		return "a query value"
	case inQuerySingleQuoted:
		return "a single-quoted literal in a query value"
	case inQueryDoubleQuoted:
		return "a double-quoted literal in a query value"
	case inHeaderValue:
		return "a header value"
	case inJSONString:
		return "a JSON string"
	case inJSONStringDoubleQuoted:
		return "a double-quoted literal in a JSON string"
	case inJSONValue:
		return "a JSON value"
	case inDisplay:
		return "a display template"
	}
	return fmt.Sprintf("placement(%d)", int(p))
}

// pathScanner follows the literal text of a path template so each
// placeholder's placement is known. The text is the admin's, so a quote is
// only a quote, with no escaping rules of its own except JQL's backslash
// inside double quotes.
type pathScanner struct {
	inQuery bool
	inKey   bool
	quote   byte
	escaped bool
}

// scan advances over literal text. It fails on a fragment, which would not
// be sent to the API.
func (s *pathScanner) scan(literal string) error {
	for i := 0; i < len(literal); i++ {
		c := literal[i]

		if c == '#' {
			return fmt.Errorf(`contains "#", which starts a fragment that is never sent; write it as %%23`)
		}

		if !s.inQuery {
			switch c {
			case '?':
				s.inQuery = true
				s.inKey = true
				s.quote = 0
			case '/':
				s.quote = 0
			case '\'':
				s.quote ^= '\''
			}
			continue
		}

		switch {
		case c == '&':
			s.inKey = true
			s.quote = 0
			s.escaped = false
		case s.inKey:
			if c == '=' {
				s.inKey = false
			}
		case s.escaped:
			s.escaped = false
		case s.quote == '"' && c == '\\':
			s.escaped = true
		case s.quote == 0 && (c == '\'' || c == '"'):
			s.quote = c
		case c == s.quote:
			s.quote = 0
		}
	}
	return nil
}

// placement returns where a placeholder at the current position lands.
func (s *pathScanner) placement() (placement, error) {
	switch {
	case !s.inQuery && s.quote == '\'':
		return inPathSingleQuoted, nil
	case !s.inQuery:
		return inPathSegment, nil
	case s.inKey:
		return 0, fmt.Errorf("a placeholder cannot be a query parameter name; write the name and put the placeholder after =")
	case s.quote == '\'':
		return inQuerySingleQuoted, nil
	case s.quote == '"':
		return inQueryDoubleQuoted, nil
	}
	return inQueryValue, nil
}

// jsonScanner follows the literal text of a JSON body template to tell
// whether a placeholder is inside a string, and inside an escaped \"…\"
// within that string. Single quotes inside a JSON string are not followed,
// because they are more often apostrophes in text than quotes.
type jsonScanner struct {
	inString bool
	escaped  bool
	inQuoted bool
}

func (s *jsonScanner) scan(literal string) {
	for i := 0; i < len(literal); i++ {
		c := literal[i]
		switch {
		case s.escaped:
			s.escaped = false
			if c == '"' {
				s.inQuoted = !s.inQuoted
			}
		case s.inString && c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = !s.inString
			s.inQuoted = false
		}
	}
}

func (s *jsonScanner) placement() placement {
	switch {
	case s.inString && s.inQuoted:
		return inJSONStringDoubleQuoted
	case s.inString:
		return inJSONString
	}
	return inJSONValue
}

// urlLiteral returns the literal text of a path template as it is sent:
// as the admin wrote it, except that spaces become %20 so the URL is valid.
func urlLiteral(literal string) string {
	return strings.ReplaceAll(literal, " ", "%20")
}

var jqlEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// escapeValue returns v escaped for its placement. x names the expression in
// errors.
func escapeValue(p placement, x *expression, v any) (string, error) {
	if p == inJSONValue {
		data, err := marshalJSON(v)
		if err != nil {
			return "", &InvalidValueError{Expr: x.source, Reason: err.Error()}
		}
		return string(data), nil
	}

	text, ok := scalarText(v)
	if !ok {
		return "", &InvalidValueError{Expr: x.source, Reason: fmt.Sprintf("a %s cannot be placed in %s; select one element or property of it", kindName(v), p)}
	}

	switch p {
	case inPathSegment:
		if text == "." || text == ".." {
			return "", &InvalidValueError{Expr: x.source, Reason: fmt.Sprintf("%q cannot be a path segment because it would change the path", text)}
		}
		return url.PathEscape(text), nil

	case inPathSingleQuoted:
		// OData writes a quote inside a string literal as two quotes.
		return url.PathEscape(strings.ReplaceAll(text, "'", "''")), nil

	case inQueryValue:
		return url.QueryEscape(text), nil

	case inQuerySingleQuoted:
		// OData writes a quote inside a string literal as two quotes.
		return url.QueryEscape(strings.ReplaceAll(text, "'", "''")), nil

	case inQueryDoubleQuoted:
		// JQL escapes a quote or a backslash inside a quoted string with a
		// backslash.
		return url.QueryEscape(jqlEscaper.Replace(text)), nil

	case inHeaderValue:
		if i := strings.IndexFunc(text, isHeaderControl); i >= 0 {
			return "", &InvalidValueError{Expr: x.source, Reason: fmt.Sprintf("contains the control character %U, which cannot be sent in a header", rune(text[i]))}
		}
		return text, nil

	case inJSONString, inJSONStringDoubleQuoted:
		if p == inJSONStringDoubleQuoted {
			text = jqlEscaper.Replace(text)
		}
		data, err := marshalJSON(text)
		if err != nil {
			return "", &InvalidValueError{Expr: x.source, Reason: err.Error()}
		}
		return string(data[1 : len(data)-1]), nil
	}
	return text, nil
}

// isHeaderControl reports whether r may not appear in a header value: CR and
// LF would end the header, and net/http rejects the other control characters
// except tab (RFC 9110 §5.5).
func isHeaderControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f
}

func kindName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
