// Package fuzzcheck helps fuzz tests check error messages. It reports
// whether a message starts with a field name, and where a secret marker
// occurs in a JSON input, so a test can tell whether an error may quote it.
package fuzzcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// StartsWithField reports whether message starts with one of fields,
// followed by a space, a dot, a colon or a "[", as in `auth.scopes[0] "x" is
// not a valid scope`.
func StartsWithField(message string, fields []string) bool {
	for _, field := range fields {
		rest, ok := strings.CutPrefix(message, field)
		if ok && rest != "" && strings.ContainsRune(" .:[", rune(rest[0])) {
			return true
		}
	}
	return false
}

// CountMarker counts the occurrences of marker in the decoded strings and
// numbers of a JSON input: inSecrets in the values whose path isSecret
// reports as secret, elsewhere in object keys and other values. A path lists
// the object keys from the top down to the value, without array indexes,
// such as ["datasources", "secrets", "clientSecret"]. After a syntax error,
// the rest of the input counts as elsewhere.
func CountMarker(data []byte, marker string, isSecret func(path []string) bool) (inSecrets, elsewhere int) {
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	var stack []frame

	path := func() []string {
		var keys []string
		for _, f := range stack {
			if f.object {
				keys = append(keys, f.key)
			}
		}
		return keys
	}
	value := func(text string) {
		if n := strings.Count(text, marker); n > 0 {
			if isSecret(path()) {
				inSecrets += n
			} else {
				elsewhere += n
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		token, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return inSecrets, elsewhere
		}
		if err != nil {
			rest := data[min(int(dec.InputOffset()), len(data)):]
			return inSecrets, elsewhere + bytes.Count(rest, []byte(marker))
		}

		switch v := token.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				value("")
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1].wantKey {
				top := &stack[len(stack)-1]
				top.key, top.wantKey = v, false
				elsewhere += strings.Count(v, marker)
				continue
			}
			value(v)
		case json.Number:
			value(string(v))
		default:
			value("")
		}
	}
}
