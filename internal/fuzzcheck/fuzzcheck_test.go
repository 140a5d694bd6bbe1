package fuzzcheck

import (
	"strings"
	"testing"
)

func TestStartsWithField(t *testing.T) {
	fields := []string{"name", "auth.scopes"}
	tests := []struct {
		message string
		want    bool
	}{
		{"name is missing", true},
		{"auth.scopes[0] \"a b\" is not a valid scope", true},
		{"name: too long", true},
		{"names are missing", false},
		{"the name is missing", false},
		{"name", false},
	}
	for _, tt := range tests {
		if got := StartsWithField(tt.message, fields); got != tt.want {
			t.Errorf("StartsWithField(%q) = %v, want %v", tt.message, got, tt.want)
		}
	}
}

func TestCountMarker(t *testing.T) {
	isSecret := func(path []string) bool {
		return len(path) == 2 && path[0] == "auth" && strings.EqualFold(path[1], "password")
	}
	tests := []struct {
		name          string
		data          string
		wantInSecrets int
		wantElsewhere int
	}{
		{"secret only", `{"name": "a", "auth": {"password": "M1M"}}`, 2, 0},
		{"escaped secret", `{"auth": {"PASSWORD": "\u004d"}}`, 1, 0},
		{"number secret", `{"auth": {"password": 1}, "x": "M"}`, 0, 1},
		{"in a name", `{"name": "M", "auth": {"password": "M"}}`, 1, 1},
		{"in a key", `{"M": 1}`, 0, 1},
		{"after nested values", `{"auth": {"list": [{"password": "M"}], "password": "M"}}`, 1, 1},
		{"after a syntax error", `{"auth": {"password": "M"}, M M`, 1, 2},
		{"top-level array", `["M", {"auth": {"password": "M"}}]`, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inSecrets, elsewhere := CountMarker([]byte(tt.data), "M", isSecret)
			if inSecrets != tt.wantInSecrets {
				t.Errorf("in secrets = %d, want %d", inSecrets, tt.wantInSecrets)
			}
			if elsewhere != tt.wantElsewhere {
				t.Errorf("elsewhere = %d, want %d", elsewhere, tt.wantElsewhere)
			}
		})
	}
}
