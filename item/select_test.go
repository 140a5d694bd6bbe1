package item

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

// userSelect lists directory users as options: the value is the mail, the
// label the display name.
func userSelect(typ fieldlink.ItemType) fieldlink.Item {
	return fieldlink.Item{
		ID:            "item-user-select",
		Name:          "Affected user",
		Type:          typ,
		Request:       fieldlink.ItemRequest{Method: "GET", Path: "/users?$select=displayName,mail&$top=5"},
		Root:          "$.value[*]",
		Template:      "${row.mail}",
		LabelTemplate: "${row.displayName}",
	}
}

func TestEvaluateSelectOptions(t *testing.T) {
	engine, ds, _ := newGraph(t, graph.SampleDirectory()[:6])

	got, err := engine.Evaluate(context.Background(), userSelect(fieldlink.ItemSelect), ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	wantOptions := []fieldlink.Option{
		{Value: "amelie.laurent@fabrikam.example", Label: "Amélie Laurent"},
		{Value: "julien.moreau@fabrikam.example", Label: "Julien Moreau"},
		{Value: "camille.dubois@fabrikam.example", Label: "Camille Dubois"},
		{Value: "lena.fischer@partner.example", Label: "Lena Fischer (Partner)"},
		{Value: "oliver.bennett@fabrikam.example", Label: "Oliver Bennett"},
		{Value: "sean.o'brien@fabrikam.example", Label: "Seán O'Brien"},
	}
	want := fieldlink.ItemResult{
		Values: []string{
			"amelie.laurent@fabrikam.example", "julien.moreau@fabrikam.example", "camille.dubois@fabrikam.example",
			"lena.fischer@partner.example", "oliver.bennett@fabrikam.example", "sean.o'brien@fabrikam.example",
		},
		Text: "amelie.laurent@fabrikam.example, julien.moreau@fabrikam.example, camille.dubois@fabrikam.example, " +
			"lena.fischer@partner.example, oliver.bennett@fabrikam.example, sean.o'brien@fabrikam.example",
		Rows:    6,
		Options: wantOptions,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
}

func TestEvaluateSelectUserInput(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{name: "label prefix", input: "ju", want: []string{"julien.moreau@fabrikam.example"}},
		{name: "value part", input: "PARTNER.example", want: []string{"lena.fischer@partner.example"}},
		{name: "accented upper case", input: "AMÉLIE", want: []string{"amelie.laurent@fabrikam.example"}},
		{name: "decomposed accent", input: "Sea\u0301n", want: []string{"sean.o'brien@fabrikam.example"}},
		{name: "apostrophe", input: "o'b", want: []string{"sean.o'brien@fabrikam.example"}},
		{name: "several", input: "ie", want: []string{"amelie.laurent@fabrikam.example", "julien.moreau@fabrikam.example", "sean.o'brien@fabrikam.example"}},
		{name: "surrounding spaces", input: "  bennett ", want: []string{"oliver.bennett@fabrikam.example"}},
		{name: "blank", input: "   ", want: []string{
			"amelie.laurent@fabrikam.example", "julien.moreau@fabrikam.example", "camille.dubois@fabrikam.example",
			"lena.fischer@partner.example", "oliver.bennett@fabrikam.example", "sean.o'brien@fabrikam.example",
		}},
		{name: "no match", input: "zzz", want: []string{}},
	}

	engine, ds, _ := newGraph(t, graph.SampleDirectory()[:6])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := engine.Evaluate(context.Background(), userSelect(fieldlink.ItemMultiSelect), ds, ticket("ada@example.com", tt.input))

			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff(got.Values, tt.want); diff != "" {
				t.Errorf("values (-got +want):\n%s", diff)
			}
			if len(got.Options) != len(tt.want) {
				t.Errorf("%d options, want %d", len(got.Options), len(tt.want))
			}
			if got.Rows != 6 {
				t.Errorf("Rows = %d, want 6 before filtering", got.Rows)
			}
		})
	}
}

func TestFilterOptionsCaseFolding(t *testing.T) {
	options := []fieldlink.Option{
		{Value: "1", Label: "Straße 5"},
		{Value: "2", Label: "ΣΊΣΥΦΟΣ"},
		{Value: "3", Label: "Café"},
	}
	tests := []struct {
		input string
		want  []string
	}{
		{input: "STRASSE", want: []string{"1"}},
		{input: "σίσυφος", want: []string{"2"}},
		{input: "cafe\u0301", want: []string{"3"}},
		// Accents are compared, not ignored.
		{input: "cafe", want: nil},
	}

	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			var got []string
			for _, option := range filterOptions(options, tt.input) {
				got = append(got, option.Value)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("kept (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEvaluateSelectSkipsAndDeduplicates(t *testing.T) {
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"value": [
			{"office": "Paris", "name": "Amélie"},
			{"office": null, "name": "Noah"},
			{"office": "London", "name": ""},
			{"office": "Paris", "name": "Julien"},
			{"name": "Grace"},
			{"office": "<b>Lyon</b> & co", "name": "Eve"}
		]}`)
	}))
	it := fieldlink.Item{
		ID:            "item-offices",
		Name:          "Office",
		Type:          fieldlink.ItemSelect,
		Request:       fieldlink.ItemRequest{Method: "GET", Path: "/people"},
		Root:          "$.value[*]",
		Template:      "${row.office}",
		LabelTemplate: "${row.office} (${row.name})",
	}

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	want := fieldlink.ItemResult{
		Values: []string{"Paris", "London", "<b>Lyon</b> & co"},
		Text:   "Paris, London, <b>Lyon</b> & co",
		Rows:   6,
		Options: []fieldlink.Option{
			{Value: "Paris", Label: "Paris (Amélie)"},
			{Value: "London", Label: "London"},
			{Value: "<b>Lyon</b> & co", Label: "<b>Lyon</b> & co (Eve)"},
		},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
}

func TestEvaluateSelectWithoutLabelTemplate(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`["a", "b", null, "a"]`)})
	it := fieldlink.Item{
		ID: "item-letters", Name: "Letters", Type: fieldlink.ItemSelect,
		Request: fieldlink.ItemRequest{Path: "/letters"}, Root: "$[*]", Template: "${row}",
	}

	got, err := engine.Evaluate(context.Background(), it, graphDatasource, fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	want := []fieldlink.Option{{Value: "a", Label: "a"}, {Value: "b", Label: "b"}}
	if diff := cmp.Diff(got.Options, want); diff != "" {
		t.Errorf("options (-got +want):\n%s", diff)
	}
}

func TestEvaluateReadOnlyIgnoresUserInput(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`{"value": [{"o": "Paris"}, {"o": "London"}]}`)})
	it := readOnlyItem("/offices", "${row.o}")
	it.Root = "$.value[*]"

	got, err := engine.Evaluate(context.Background(), it, graphDatasource, ticket("ada@example.com", "par"))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, []string{"Paris", "London"}); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	if got.Options != nil {
		t.Errorf("Options = %v, want none for a read-only item", got.Options)
	}
}

func TestEvaluateWithDependenciesFiltersOnlyTarget(t *testing.T) {
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/departments" {
			writeJSON(w, `[{"id": "IT"}]`)
			return
		}
		writeJSON(w, `[{"name": "Printer"}, {"name": "Laptop"}]`)
	}))
	ds := apiDatasource(server, "")
	department := fieldlink.Item{ID: "d", Name: "Department", Type: fieldlink.ItemSelect, Request: fieldlink.ItemRequest{Path: "/departments"}, Root: "$[*]", Template: "${row.id}"}
	asset := fieldlink.Item{ID: "a", Name: "Asset", Type: fieldlink.ItemSelect, Request: fieldlink.ItemRequest{Path: `/assets?department=${items["Department"]}`}, Root: "$[*]", Template: "${row.name}"}
	resolver := newResolver(ds, department, asset)

	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Asset"], resolver, fieldlink.TicketContext{UserInput: "lap"})

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	if diff := cmp.Diff(got.Values, []string{"Laptop"}); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
}
