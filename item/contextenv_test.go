package item

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// contextEnvViaJSON is the definition contextEnv follows: the ticket context
// encoded as JSON and decoded with decodeJSON.
func contextEnvViaJSON(t *testing.T, tc fieldlink.TicketContext) map[string]any {
	t.Helper()

	data, err := json.Marshal(tc)
	if err != nil {
		t.Fatalf("encode ticket context: %v", err)
	}
	decoded, err := decodeJSON(data)
	if err != nil {
		t.Fatalf("decode ticket context: %v", err)
	}

	fields, _ := decoded.(map[string]any)
	env := make(map[string]any)
	for _, name := range contextNames {
		env[name] = fields[name]
	}
	env[itemsName], env[itemValuesName] = dependencyEnv(tc.Items)
	return env
}

func TestContextEnvMatchesJSON(t *testing.T) {
	tests := []struct {
		name string
		tc   fieldlink.TicketContext
	}{
		{"empty", fieldlink.TicketContext{}},
		{"reporter only", fieldlink.TicketContext{Reporter: &fieldlink.User{EmailAddress: "ada@example.com"}}},
		{"empty users", fieldlink.TicketContext{Reporter: &fieldlink.User{}, CurrentUser: &fieldlink.User{}}},
		{"full", ticket("amelie.laurent@fabrikam.example", "Paris")},
		{"empty maps", fieldlink.TicketContext{Project: map[string]any{}, Issue: map[string]any{}}},
		{"numbers", fieldlink.TicketContext{Issue: map[string]any{
			"whole":         float64(3600),
			"negative":      float64(-1),
			"negativeZero":  math.Copysign(0, -1),
			"fraction":      2.5,
			"tiny":          1e-7,
			"beyondExact":   float64(1 << 60),
			"beyondInt64":   1e20,
			"huge":          1e300,
			"int":           42,
			"int32":         int32(-7),
			"int64":         int64(1 << 62),
			"uint64":        uint64(math.MaxUint64),
			"number":        json.Number("12.50"),
			"largestExact":  float64(1<<53 - 1),
			"smallestWhole": -float64(1<<53 - 1),
		}}},
		{"nested", fieldlink.TicketContext{Issue: map[string]any{
			"fields": map[string]any{
				"labels":    []any{"a", float64(1), nil, true, []any{}, map[string]any{}},
				"nilList":   []any(nil),
				"nilMap":    map[string]any(nil),
				"strings":   []string{"x", "y"},
				"stringMap": map[string]string{"k": "v"},
				"watches":   map[string]any{"watchCount": float64(1), "isWatching": false},
			},
		}}},
		{"invalid utf-8", fieldlink.TicketContext{
			Reporter:  &fieldlink.User{DisplayName: "Ad\xffa\xfe\xfd"},
			UserInput: "in\xc3put",
			Issue:     map[string]any{"summary": "bad \xff byte", "k\xffey": "value"},
		}},
		{"dependencies", fieldlink.TicketContext{Items: map[string]fieldlink.ItemResult{
			"Office": {Values: []string{"Paris"}, Text: "Paris", Rows: 1},
			"Empty":  {Rows: 0},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contextEnv(tt.tc)
			if err != nil {
				t.Fatalf("contextEnv: %v", err)
			}

			if diff := cmp.Diff(contextEnvViaJSON(t, tt.tc), got); diff != "" {
				t.Errorf("contextEnv differs from the JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContextEnvNamesEveryVariable(t *testing.T) {
	env, err := contextEnv(fieldlink.TicketContext{})
	if err != nil {
		t.Fatalf("contextEnv: %v", err)
	}

	var names []string
	for name := range env {
		names = append(names, name)
	}
	want := append(slices.Clone(contextNames), itemsName, itemValuesName)
	slices.Sort(names)
	slices.Sort(want)
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
}

func TestContextEnvRejectsNaN(t *testing.T) {
	_, err := contextEnv(fieldlink.TicketContext{Issue: map[string]any{"bad": math.NaN()}})

	if err == nil {
		t.Error("contextEnv of an issue with NaN succeeded, want the JSON encoding error")
	}
}

func TestContextEnvKeepsDecodedValues(t *testing.T) {
	issue := map[string]any{"fields": map[string]any{"summary": "Printer", "votes": int64(3), "ratio": 0.5}}

	env, err := contextEnv(fieldlink.TicketContext{Issue: issue})
	if err != nil {
		t.Fatalf("contextEnv: %v", err)
	}

	got, ok := env["issue"].(map[string]any)
	if !ok {
		t.Fatalf("issue is %T, want map[string]any", env["issue"])
	}
	got["marker"] = true
	if _, shared := issue["marker"]; !shared {
		t.Error("contextEnv copied an issue that was already in decoded form, want it used as it is")
	}
}
