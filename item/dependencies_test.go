package item

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

// testResolver finds items and datasources in maps and counts item look-ups.
type testResolver struct {
	items       map[string]fieldlink.Item
	datasources map[string]fieldlink.Datasource
	lookups     atomic.Int64
}

func newResolver(ds fieldlink.Datasource, items ...fieldlink.Item) *testResolver {
	r := &testResolver{items: map[string]fieldlink.Item{}, datasources: map[string]fieldlink.Datasource{ds.ID: ds}}
	for _, it := range items {
		it.DatasourceID = ds.ID
		r.items[it.Name] = it
	}
	return r
}

func (r *testResolver) ItemByName(_ context.Context, name string) (fieldlink.Item, error) {
	r.lookups.Add(1)
	it, ok := r.items[name]
	if !ok {
		return fieldlink.Item{}, fieldlink.Errorf(fieldlink.ENotFound, "item %q not found", name)
	}
	return it, nil
}

func (r *testResolver) Datasource(_ context.Context, id string) (fieldlink.Datasource, error) {
	ds, ok := r.datasources[id]
	if !ok {
		return fieldlink.Datasource{}, fieldlink.Errorf(fieldlink.ENotFound, "datasource %q not found", id)
	}
	return ds, nil
}

// item returns a read-only item with the name, path and template.
func item(name, path, template string) fieldlink.Item {
	return fieldlink.Item{
		ID:       "id-" + name,
		Name:     name,
		Type:     fieldlink.ItemReadOnly,
		Request:  fieldlink.ItemRequest{Method: "GET", Path: path},
		Template: template,
	}
}

func TestDependencies(t *testing.T) {
	it := fieldlink.Item{
		Name: "Colleagues",
		Request: fieldlink.ItemRequest{
			Method:  "POST",
			Path:    `/users/${items["Reporter ID"]}/peers?office=${items.Office ?? "any"}`,
			Headers: map[string]string{"X-Tenant": `${items["Tenant"]}`},
			Body:    `{"ids": ${itemValues["Team IDs"]}, "again": "${items["Reporter ID"]}"}`,
		},
		Template:      `${row.name} of ${items["Team name"]}`,
		LabelTemplate: `${itemValues["Labels"][0] ?? row.name}`,
	}

	got, err := Dependencies(it)

	if err != nil {
		t.Fatalf("Dependencies: %v", err)
	}
	want := []string{"Labels", "Office", "Reporter ID", "Team IDs", "Team name", "Tenant"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("dependencies (-got +want):\n%s", diff)
	}
}

func TestDependenciesNone(t *testing.T) {
	got, err := Dependencies(officeItem(0))

	if err != nil {
		t.Fatalf("Dependencies: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Dependencies = %q, want none", got)
	}
}

func TestDependenciesNameNotLiteral(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		field string
	}{
		{name: "variable index", path: "/users/${items[userInput]}", field: "request.path"},
		{name: "whole map", path: "/users/${len(items)}", field: "request.path"},
		{name: "values map", path: "/users/${itemValues}", field: "request.path"},
		{name: "call", path: `/users/${items("A")}`, field: "request.path"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := item("B", tt.path, "${row.id}")

			_, err := Dependencies(it)

			if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
				t.Fatalf("Dependencies error = %v, want EInvalid", err)
			}
			for _, want := range []string{tt.field, "followed by an item name in quotes"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if err := Validate(it); err == nil || !strings.Contains(err.Error(), "item name in quotes") {
				t.Errorf("Validate error = %v, want the same complaint", err)
			}
		})
	}
}

func names(items []fieldlink.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name  string
		items []fieldlink.Item
		want  []string
	}{
		{
			name: "chain given backwards",
			items: []fieldlink.Item{
				item("C", `/c/${items["B"]}`, "${row}"),
				item("B", `/b/${items["A"]}`, "${row}"),
				item("A", "/a", "${row}"),
			},
			want: []string{"A", "B", "C"},
		},
		{
			name: "diamond",
			items: []fieldlink.Item{
				item("D", `/d/${items["B"]}/${items["C"]}`, "${row}"),
				item("B", `/b/${items["A"]}`, "${row}"),
				item("C", `/c/${itemValues["A"]}`, "${row}"),
				item("A", "/a", "${row}"),
			},
			want: []string{"A", "B", "C", "D"},
		},
		{
			name: "independent keep their order",
			items: []fieldlink.Item{
				item("Z", "/z", "${row}"),
				item("Y", "/y", `${items["X"]}`),
				item("X", "/x", "${row}"),
				item("W", "/w", "${row}"),
			},
			want: []string{"Z", "X", "Y", "W"},
		},
		{name: "empty", items: nil, want: nil},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Order(tt.items)

			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			if diff := cmp.Diff(names(got), tt.want); diff != "" {
				t.Errorf("order (-got +want):\n%s", diff)
			}
		})
	}
}

func TestOrderErrors(t *testing.T) {
	tests := []struct {
		name  string
		items []fieldlink.Item
		want  string
	}{
		{
			name: "cycle",
			items: []fieldlink.Item{
				item("Start", "/s", `${items["A"]}`),
				item("A", `/a/${items["B"]}`, "${row}"),
				item("B", `/b/${items["C"]}`, "${row}"),
				item("C", "/c", `${items["A"]}`),
			},
			want: `item dependency cycle: "A" → "B" → "C" → "A"`,
		},
		{
			name:  "self",
			items: []fieldlink.Item{item("A", `/a/${items["A"]}`, "${row}")},
			want:  `item dependency cycle: "A" → "A"`,
		},
		{
			name:  "unknown",
			items: []fieldlink.Item{item("A", `/a/${items["Missing"]}`, "${row}")},
			want:  `item "A" depends on "Missing", which is not an item`,
		},
		{
			name:  "duplicate name",
			items: []fieldlink.Item{item("A", "/a", "${row}"), item("A", "/b", "${row}")},
			want:  `two items are named "A"`,
		},
		{
			name:  "dynamic name",
			items: []fieldlink.Item{item("A", "/a/${items[userInput]}", "${row}")},
			want:  `item "A": request.path`,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Order(tt.items)

			if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
				t.Fatalf("Order error = %v, want EInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if err := ValidateAll(tt.items); err == nil {
				t.Error("ValidateAll accepted the items")
			}
		})
	}
}

func TestValidateAll(t *testing.T) {
	valid := []fieldlink.Item{item("B", `/b/${items["A"]}`, "${row}"), item("A", "/a", "${row}")}
	if err := ValidateAll(valid); err != nil {
		t.Fatalf("ValidateAll: %v", err)
	}

	invalid := append(valid, item("C", "/c", ""))
	err := ValidateAll(invalid)
	if fieldlink.ErrorCode(err) != fieldlink.EInvalid || !strings.Contains(err.Error(), `item "C": template is empty`) {
		t.Errorf("ValidateAll error = %v, want item C's empty template", err)
	}
}

// directoryChain returns three items over the Graph users API: the
// reporter's ID, the office of the user with that ID, and the names of the
// users in that office.
func directoryChain() []fieldlink.Item {
	id := item("Reporter ID", "/users/${reporter.emailAddress}?$select=id", "${row.id}")
	office := item("Reporter office", `/users/${items["Reporter ID"]}?$select=officeLocation`, "${row.officeLocation}")
	colleagues := item("Office colleagues", `/users?$filter=officeLocation eq '${items["Reporter office"]}'&$select=displayName`, "${row.displayName}")
	colleagues.Root = "$.value[*]"
	return []fieldlink.Item{id, office, colleagues}
}

func TestEvaluateWithDependenciesChain(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	chain := directoryChain()
	resolver := newResolver(ds, chain...)
	tc := ticket("amelie.laurent@fabrikam.example", "")

	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, tc)

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	want := []string{"Amélie Laurent", "Julien Moreau", "Camille Dubois", "Lena Fischer (Partner)"}
	if diff := cmp.Diff(got.Values, want); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	sent := upstream.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d requests, want 3: %q", len(sent), sent)
	}
	if want := ds.BaseURL + "/users/2aee0129-7e46-42b8-ab04-58e3ae936dcc?$select=officeLocation"; sent[1] != want {
		t.Errorf("second request = %q, want %q", sent[1], want)
	}
}

func TestEvaluateWithDependenciesReusesKnownResults(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	resolver := newResolver(ds, directoryChain()...)
	tc := ticket("amelie.laurent@fabrikam.example", "")
	tc.Items = map[string]fieldlink.ItemResult{
		"Reporter office": {Values: []string{"London"}, Text: "London", Rows: 1},
	}

	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, tc)

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	if len(got.Values) != 4 || got.Values[0] != "Oliver Bennett" {
		t.Errorf("values = %q, want the four London users", got.Values)
	}
	if n := len(upstream.Sent()); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
	if n := resolver.lookups.Load(); n != 0 {
		t.Errorf("looked up %d items, want 0", n)
	}
}

func TestEvaluateWithDependenciesDiamondOnce(t *testing.T) {
	var requests atomic.Int64
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		writeJSON(w, `{"value": "`+strings.Trim(r.URL.Path, "/")+`"}`)
	}))
	ds := apiDatasource(server, "")
	top := item("D", `/d-${items["B"]}-${items["C"]}`, "${row.value}")
	resolver := newResolver(ds,
		item("A", "/a", "${row.value}"),
		item("B", `/b-${items["A"]}`, "${row.value}"),
		item("C", `/c-${items["A"]}`, "${row.value}"),
		top,
	)

	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["D"], resolver, fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	if want := "d-b-a-c-a"; got.Text != want {
		t.Errorf("Text = %q, want %q", got.Text, want)
	}
	if n := requests.Load(); n != 4 {
		t.Errorf("%d requests, want 4 (A once)", n)
	}
}

func TestEvaluateWithDependenciesCycle(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	resolver := newResolver(ds,
		item("A", `/users/${items["B"]}`, "${row.id}"),
		item("B", `/users/${items["A"]}`, "${row.id}"),
	)

	_, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["A"], resolver, fieldlink.TicketContext{})

	if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
		t.Fatalf("error = %v, want EInvalid", err)
	}
	if want := `item dependency cycle: "A" → "B" → "A"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if n := len(upstream.Sent()); n != 0 {
		t.Errorf("sent %d requests, want 0", n)
	}
}

func TestEvaluateWithDependenciesUnknownItem(t *testing.T) {
	engine, ds, _ := newGraph(t, graph.SampleDirectory())
	resolver := newResolver(ds, item("A", `/users/${items["Gone"]}`, "${row.id}"))

	_, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["A"], resolver, fieldlink.TicketContext{})

	if fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		t.Fatalf("error = %v, want ENotFound", err)
	}
	if want := `find item "Gone", which item "A" depends on`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestEvaluateWithDependenciesFailure(t *testing.T) {
	engine, ds, _ := newGraph(t, graph.SampleDirectory())
	chain := directoryChain()
	chain[0].Request.Path = "/groups/${reporter.emailAddress}"
	resolver := newResolver(ds, chain...)

	_, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, ticket("amelie.laurent@fabrikam.example", ""))

	var status *UpstreamStatusError
	if !errors.As(err, &status) {
		t.Fatalf("error = %v, want *UpstreamStatusError", err)
	}
	if want := `evaluate item "Reporter ID", which item "Office colleagues" depends on`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestEvaluateMissingDependency(t *testing.T) {
	tests := []struct {
		name  string
		items map[string]fieldlink.ItemResult
	}{
		{name: "absent", items: nil},
		{name: "no values", items: map[string]fieldlink.ItemResult{"Reporter ID": {Values: []string{}, Rows: 1}}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
			engine := NewEngine(Options{Upstream: upstream})
			it := directoryChain()[1]
			tc := ticket("ada@example.com", "")
			tc.Items = tt.items

			_, err := engine.Evaluate(context.Background(), it, graphDatasource, tc)

			var missing *MissingValueError
			if !errors.As(err, &missing) {
				t.Fatalf("Evaluate error = %v, want *MissingValueError", err)
			}
			if !strings.Contains(err.Error(), `missing value: items["Reporter ID"]`) {
				t.Errorf("error %q does not name the dependency", err)
			}
			if n := upstream.calls.Load(); n != 0 {
				t.Errorf("upstream called %d times, want 0", n)
			}
		})
	}
}

func TestEvaluateMissingDependencyInTemplate(t *testing.T) {
	upstream := jsonUpstream(`{"officeLocation": "Paris"}`)
	engine := NewEngine(Options{Upstream: upstream})
	it := officeItem(0)
	it.Template = `${row.officeLocation} (${items["Building"]})`

	_, err := engine.Evaluate(context.Background(), it, graphDatasource, ticket("ada@example.com", ""))

	var missing *MissingValueError
	if !errors.As(err, &missing) || missing.Expr != `items["Building"]` {
		t.Fatalf("Evaluate error = %v, want missing items[\"Building\"]", err)
	}
	if n := upstream.calls.Load(); n != 0 {
		t.Errorf("upstream called %d times, want 0", n)
	}
}

func TestEvaluateDependencyDefault(t *testing.T) {
	var gotQuery string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.Query().Get("office")
		writeJSON(w, `{"name": "Desk"}`)
	}))
	it := item("Desk", `/desks?office=${items["Office"] ?? "Remote"}`, `${row.name} in ${items["Office"] ?? "no office"}`)

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if gotQuery != "Remote" {
		t.Errorf("server saw office %q, want Remote", gotQuery)
	}
	if want := "Desk in no office"; got.Text != want {
		t.Errorf("Text = %q, want %q", got.Text, want)
	}
}

func TestEvaluateWithDependenciesMissingUpstream(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	chain := directoryChain()
	chain[2].Request.Path = `/users?$filter=officeLocation eq '${items["Reporter office"] ?? "Paris"}'&$select=displayName`
	resolver := newResolver(ds, chain...)

	// The reporter has no email address, so the first item has no value,
	// the second fails for lack of it, and the third uses its default.
	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, ticket("", ""))

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	if len(got.Values) != 4 || got.Values[0] != "Amélie Laurent" {
		t.Errorf("values = %q, want the four Paris users", got.Values)
	}
	if n := len(upstream.Sent()); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

func TestEvaluateItemValuesInBody(t *testing.T) {
	var gotBody string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := make([]byte, r.ContentLength)
		r.Body.Read(data)
		gotBody = string(data)
		writeJSON(w, `{"ok": true}`)
	}))
	it := item("Lookup", "/lookup", "${row.ok}")
	it.Request.Method = "POST"
	it.Request.Body = `{"ids": ${itemValues["Members"]}, "first": "${itemValues["Members"][0]}", "all": "${items["Members"]}"}`
	tc := fieldlink.TicketContext{Items: map[string]fieldlink.ItemResult{
		"Members": {Values: []string{`a"b`, "c\\d"}, Text: `a"b, c\d`, Rows: 2},
	}}

	if _, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), tc); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}

	want := `{"ids": ["a\"b","c\\d"], "first": "a\"b", "all": "a\"b, c\\d"}`
	if gotBody != want {
		t.Errorf("body = %s, want %s", gotBody, want)
	}
}

// hostileDependencyValues are dependency values that break a request unless each is
// escaped for where it lands.
var hostileDependencyValues = []string{
	`o'brien`,
	`say "hi"`,
	"a#b",
	"a&b=c",
	"1+1 = 2",
	"100%",
	"%41%2F",
	"a/b/../c",
	"line1\nline2",
	"tab\there",
	"?x=y",
	strings.Repeat("é&#/+%'", 10_000/7+1)[:10_000],
}

func TestEvaluateHostileDependencyValues(t *testing.T) {
	type seen struct {
		segment, query, filter string
	}
	var got seen
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.EscapedPath(), "/")
		segment, err := url.PathUnescape(parts[2])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = seen{segment: segment, query: r.URL.Query().Get("q"), filter: r.URL.Query().Get("$filter")}
		writeJSON(w, `{"ok": "yes"}`)
	}))
	ds := apiDatasource(server, "")

	for _, value := range hostileDependencyValues {
		name := value
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			got = seen{}
			source := item("Source", "/source", "${row.value}")
			target := item("Target", `/things/${items["Source"]}/detail?q=${items["Source"]}&$filter=name eq '${items["Source"]}'`, "${row.ok}")
			tc := fieldlink.TicketContext{Items: map[string]fieldlink.ItemResult{
				source.Name: {Values: []string{value}, Text: value, Rows: 1},
			}}

			result, err := engine.Evaluate(context.Background(), target, ds, tc)

			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if result.Text != "yes" {
				t.Errorf("Text = %q, want yes", result.Text)
			}
			want := seen{segment: value, query: value, filter: "name eq '" + strings.ReplaceAll(value, "'", "''") + "'"}
			if diff := cmp.Diff(got, want, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("server saw (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEvaluateHostileValueFromDependencyResponse(t *testing.T) {
	value := "o'brien & co #1 / 50% + more\n"
	var gotSegment, gotFilter string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/source" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"value": "o'brien & co #1 / 50% + more\n"}`))
			return
		}
		parts := strings.Split(r.URL.EscapedPath(), "/")
		gotSegment, _ = url.PathUnescape(parts[2])
		gotFilter = r.URL.Query().Get("$filter")
		writeJSON(w, `{"ok": "yes"}`)
	}))
	ds := apiDatasource(server, "")
	resolver := newResolver(ds,
		item("Source", "/source", "${row.value}"),
		item("Target", `/things/${items["Source"]}?$filter=name eq '${items["Source"]}'`, "${row.ok}"),
	)

	if _, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Target"], resolver, fieldlink.TicketContext{}); err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}

	if gotSegment != value {
		t.Errorf("path segment = %q, want %q", gotSegment, value)
	}
	if want := "name eq 'o''brien & co #1 / 50% + more\n'"; gotFilter != want {
		t.Errorf("$filter = %q, want %q", gotFilter, want)
	}
}

func TestEvaluateWithDependenciesNamesRootCause(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	resolver := newResolver(ds, directoryChain()...)
	tc := ticket("", "")

	_, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, tc)

	var missing *MissingValueError
	if !errors.As(err, &missing) {
		t.Fatalf("error = %v, want a *MissingValueError", err)
	}
	if missing.Expr != "reporter.emailAddress" {
		t.Errorf("Expr = %q, want the value missing at the start of the chain", missing.Expr)
	}
	if want := `missing value: reporter.emailAddress (needed by item "Reporter ID", then item "Reporter office")`; err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	if sent := upstream.Sent(); len(sent) != 0 {
		t.Errorf("sent %d requests, want none", len(sent))
	}
}

func TestEvaluateWithTextOnlyContextItem(t *testing.T) {
	engine, ds, _ := newGraph(t, graph.SampleDirectory())
	resolver := newResolver(ds, directoryChain()...)
	tc := ticket("", "")
	tc.Items = map[string]fieldlink.ItemResult{"Reporter office": {Text: "London"}}

	got, err := engine.EvaluateWithDependencies(context.Background(), resolver.items["Office colleagues"], resolver, tc)

	if err != nil {
		t.Fatalf("EvaluateWithDependencies: %v", err)
	}
	if len(got.Values) == 0 {
		t.Errorf("no colleagues found for a sample office given as text only")
	}
}
