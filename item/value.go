package item

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// isEmpty reports whether v counts as no value: nil, an empty string, or an
// empty list or object.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// scalarText returns the text of a string, number or boolean. Numbers never
// use exponent notation. ok is false for nil, lists and objects.
func scalarText(v any) (text string, ok bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case uint:
		return strconv.FormatUint(uint64(v), 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return formatFloat(v), true
	case float32:
		return formatFloat(float64(v)), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// displayText returns the text a display template shows for v: a scalar as
// scalarText does, a list as its non-empty elements joined with ", ", and an
// object as JSON. ok is false when nothing remains to show.
func displayText(v any) (text string, ok bool) {
	if text, ok := scalarText(v); ok {
		return text, true
	}

	switch v := v.(type) {
	case []any:
		var texts []string
		for _, element := range v {
			if text, ok := displayText(element); ok && text != "" {
				texts = append(texts, text)
			}
		}
		return strings.Join(texts, ", "), len(texts) > 0

	case map[string]any:
		if len(v) == 0 {
			return "", false
		}
		data, err := marshalJSON(v)
		if err != nil {
			return "", false
		}
		return string(data), true
	}
	return "", false
}

// marshalJSON encodes v without escaping <, > and &, which only matters when
// JSON is embedded in HTML.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T as JSON: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
