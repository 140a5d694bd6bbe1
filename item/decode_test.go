package item

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeJSONValues(t *testing.T) {
	tests := []struct {
		name string
		data string
		want any
	}{
		{"whitespace after the value", "{\"a\": 1} \t\r\n", map[string]any{"a": int64(1)}},
		// A number too large for a float64 stays a json.Number.
		{"numbers", `[1, -2, 2.5, 9007199254740993, 1e400, 123456789012345678901]`,
			[]any{int64(1), int64(-2), 2.5, int64(9007199254740993), json.Number("1e400"), 1.2345678901234568e20}},
		{"nested numbers", `{"a": {"b": [3, {"c": 4.5}]}, "d": "5"}`,
			map[string]any{"a": map[string]any{"b": []any{int64(3), map[string]any{"c": 4.5}}}, "d": "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeJSON([]byte(tt.data))
			if err != nil {
				t.Fatalf("decodeJSON: %v", err)
			}

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeJSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJSONRejectsTrailingData(t *testing.T) {
	for _, data := range []string{`{"a": 1} {"b": 2}`, `{"a": 1} x`, `1 2`, `"a" ,`} {
		t.Run(data, func(t *testing.T) {
			if _, err := decodeJSON([]byte(data)); err == nil {
				t.Errorf("decodeJSON(%s) succeeded, want an error for the data after the first value", data)
			}
		})
	}
}
