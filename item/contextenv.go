package item

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink"
)

// contextEnv returns the ticket context as expression variables, named as
// the JSON fields of fieldlink.TicketContext. Each value is what decoding
// the context's JSON with decodeJSON would give: maps, lists, strings,
// booleans, int64 for whole numbers and float64 for others, and nil for a
// field that JSON leaves out. The results in tc.Items become items and
// itemValues.
//
// It converts the values directly instead of encoding the context to JSON
// and decoding it again, which took a large share of an evaluation. A value
// that is already in decoded form is used as it is, without a copy.
func contextEnv(tc fieldlink.TicketContext) (map[string]any, error) {
	env := make(map[string]any, len(contextNames)+2)
	env["reporter"] = userEnv(tc.Reporter)
	env["currentUser"] = userEnv(tc.CurrentUser)

	objects := []struct {
		name  string
		value map[string]any
	}{
		{"project", tc.Project},
		{"issueType", tc.IssueType},
		{"requestType", tc.RequestType},
		{"issue", tc.Issue},
	}
	for _, o := range objects {
		// omitempty leaves an empty map out of the JSON.
		if len(o.value) == 0 {
			env[o.name] = nil
			continue
		}
		value, err := jsonEnvValue(o.value)
		if err != nil {
			return nil, fmt.Errorf("encode ticket context: %s: %w", o.name, err)
		}
		env[o.name] = value
	}

	env["userInput"] = nil
	if tc.UserInput != "" {
		env["userInput"] = validString(tc.UserInput)
	}

	env[itemsName], env[itemValuesName] = dependencyEnv(tc.Items)
	return env, nil
}

// userEnv returns u as a JSON object without its empty fields, or nil.
func userEnv(u *fieldlink.User) any {
	if u == nil {
		return nil
	}

	m := make(map[string]any, 3)
	if u.AccountID != "" {
		m["accountId"] = validString(u.AccountID)
	}
	if u.EmailAddress != "" {
		m["emailAddress"] = validString(u.EmailAddress)
	}
	if u.DisplayName != "" {
		m["displayName"] = validString(u.DisplayName)
	}
	return m
}

// validString returns s with each invalid UTF-8 byte replaced by U+FFFD, as
// encoding/json writes it.
func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}

	var out []rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		out = append(out, r)
		i += size
	}
	return string(out)
}

// jsonEnvValue returns v as decodeJSON would decode v's JSON encoding. It
// returns v itself when v is in that form already.
func jsonEnvValue(v any) (any, error) {
	if isDecodedJSON(v) {
		return v, nil
	}

	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		m := make(map[string]any, len(v))
		for key, element := range v {
			if !utf8.ValidString(key) {
				return viaJSON(v)
			}
			converted, err := jsonEnvValue(element)
			if err != nil {
				return nil, err
			}
			m[key] = converted
		}
		return m, nil
	case []any:
		if v == nil {
			return nil, nil
		}
		list := make([]any, len(v))
		for i, element := range v {
			converted, err := jsonEnvValue(element)
			if err != nil {
				return nil, err
			}
			list[i] = converted
		}
		return list, nil
	case string:
		return validString(v), nil
	case float64:
		if whole, ok := wholeFloat(v); ok {
			return whole, nil
		}
	case int:
		return int64(v), nil
	case int32:
		return int64(v), nil
	}
	return viaJSON(v)
}

// isDecodedJSON reports whether v is in the form decodeJSON gives, all the
// way down, so it can be used without a copy.
func isDecodedJSON(v any) bool {
	switch v := v.(type) {
	case nil, bool, int64:
		return true
	case string:
		return utf8.ValidString(v)
	case float64:
		// A whole number may decode as an int64, and NaN and infinities
		// fail to encode, so only fractions stay as they are.
		return v != math.Trunc(v) && !math.IsNaN(v)
	case map[string]any:
		if v == nil {
			return false
		}
		for key, element := range v {
			if !utf8.ValidString(key) || !isDecodedJSON(element) {
				return false
			}
		}
		return true
	case []any:
		if v == nil {
			return false
		}
		for _, element := range v {
			if !isDecodedJSON(element) {
				return false
			}
		}
		return true
	}
	return false
}

// maxExactWhole is 2^53: every whole float64 below it in magnitude is
// written by encoding/json with all its digits, so it decodes to the same
// int64. Larger ones may be written rounded, and go through viaJSON.
const maxExactWhole = 1 << 53

// wholeFloat returns v as an int64 when v is a whole number below
// maxExactWhole in magnitude, which decodeJSON would decode as an int64.
func wholeFloat(v float64) (int64, bool) {
	if v != math.Trunc(v) || math.Abs(v) >= maxExactWhole {
		return 0, false
	}
	return int64(v), true
}

// viaJSON encodes v as JSON and decodes it with decodeJSON, for the values
// that jsonEnvValue does not convert itself.
func viaJSON(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(data)
}
