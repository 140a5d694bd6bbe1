package item

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// FuzzRenderKeepsStructure renders a request template with the sample
// userInput "x" and with the fuzzed one. Both requests must have the same
// number of path segments and the same query parameter names. A body valid
// with "x" must stay valid JSON with the same top-level keys. Templates with a
// placeholder other than ${userInput} are skipped, because an expression may
// build its own structure.
func FuzzRenderKeepsStructure(f *testing.F) {
	seeds := []struct{ path, body, input string }{
		{"/users/${userInput}", "", "a/b?c#d e%f"},
		{"/users/${userInput}/manager", "", "ada_example.com#EXT#@tenant.onmicrosoft.com"},
		{"/search?q=${userInput}&top=5", "", "a&b=c d+e"},
		{"/users?$filter=mail eq '${userInput}'&$select=officeLocation", "", "o'brien@example.com"},
		{`/rest/api/3/search/jql?jql=reporter = "${userInput}" AND status = Open`, "", `a"b\c`},
		{"/users?$filter=mail eq '${userInput}' or id eq ${userInput}", "", "x'y"},
		{"/users?$filter=mail eq 'a&q=${userInput}", "", "x'y"},
		{"/users/${userInput}?q=${userInput}", "", "Zoë 東京"},
		{"/users('${userInput}')/manager", "", "o'brien/x"},
		{"/it's/${userInput}", "", "o'brien"},
		{"/search?q=a+b&v=${userInput}", "", "1"},
		{"/search", `{"query": "mail:${userInput}"}`, "a\"b\\c\n</script>"},
		{"/search", `{"mail": ${userInput}, "top": 1}`, `x", "admin": true, "y": "`},
		{"/search", `{"jql": "reporter = \"${userInput}\" AND status = Open"}`, `a" OR project = "X\`},
		{"/search", `{"jql": "summary ~ \"x\"", "text": "${userInput}"}`, `"`},
		{"/users/${userInput}", "", ".."},
		{"/users/${userInput}", "", "\x00\xff\u2028"},
		{"/q?a=${userInput}&b=${userInput}", `{"a": ["${userInput}", ${userInput}]}`, "&b=&c=\"}"},
	}
	for _, s := range seeds {
		f.Add(s.path, s.body, s.input)
	}

	f.Fuzz(func(t *testing.T, path, body, input string) {
		if !onlyUserInput(path) || !onlyUserInput(body) {
			return
		}
		it := readOnlyItem(path, "${row}")
		if body != "" {
			it.Request.Method = "POST"
			it.Request.Body = body
		}

		sample, err := Render(it, ticket("ada@example.com", "x"))
		if err != nil {
			return
		}
		sampleBodyValid := json.Valid(sample.Body)

		got, err := Render(it, ticket("ada@example.com", input))
		if err != nil {
			var missing *MissingValueError
			var invalid *InvalidValueError
			if !errors.As(err, &missing) && !errors.As(err, &invalid) {
				t.Fatalf("Render with userInput %q: error %T %v, want *MissingValueError or *InvalidValueError", input, err, err)
			}
			return
		}

		wantPath, wantQuery := splitRequestPath(t, sample.Path)
		gotPath, gotQuery := splitRequestPath(t, got.Path)
		if len(gotPath) != len(wantPath) {
			t.Errorf("userInput %q: path %q has %d segments, want %d as in %q", input, got.Path, len(gotPath), len(wantPath), sample.Path)
		}
		if !slices.Equal(gotQuery, wantQuery) {
			t.Errorf("userInput %q: query names of %q are %q, want %q as in %q", input, got.Path, gotQuery, wantQuery, sample.Path)
		}

		if !sampleBodyValid {
			return
		}
		if !json.Valid(got.Body) {
			t.Fatalf("userInput %q: body %q is not valid JSON, while %q is", input, got.Body, sample.Body)
		}
		if gotKeys, wantKeys := topLevelKeys(got.Body), topLevelKeys(sample.Body); !slices.Equal(gotKeys, wantKeys) {
			t.Errorf("userInput %q: body keys %q, want %q", input, gotKeys, wantKeys)
		}
	})
}

// onlyUserInput reports whether every placeholder of a template that splits
// reads userInput and nothing else.
func onlyUserInput(src string) bool {
	parts, err := splitTemplate(src)
	if err != nil {
		return true
	}
	for _, p := range parts {
		if p.isExpr && p.expr != "userInput" {
			return false
		}
	}
	return true
}

// splitRequestPath returns the path segments of a rendered request path and
// its sorted query parameter names.
func splitRequestPath(t *testing.T, path string) (segments, names []string) {
	t.Helper()
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	segments = strings.Split(rawPath, "/")

	if rawQuery == "" {
		return segments, nil
	}
	for pair := range strings.SplitSeq(rawQuery, "&") {
		name, _, _ := strings.Cut(pair, "=")
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		names = append(names, decoded)
	}
	slices.Sort(names)
	return segments, names
}

// topLevelKeys returns the sorted keys of a JSON object, or nil for any other
// JSON value.
func topLevelKeys(body []byte) []string {
	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(object))
}

// fuzzDocument is the fixed response that FuzzSelectAndDisplay reads.
const fuzzDocument = `{
	"odata.context": "users",
	"value": [
		{"mail": "a@example.com", "officeLocation": "Paris", "businessPhones": ["+33 1", null]},
		{"mail": "b@example.com", "officeLocation": null, "id": 12345678901234567, "size": 1.5e21}
	],
	"nested": {"list": [1, 2, 3]},
	"huge": 1e400,
	"accountEnabled": false
}`

// FuzzSelectAndDisplay compiles a root JSONPath and a display template,
// selects rows from a fixed document and renders each row and the whole
// document. Neither step may panic, and a failure must be an error value.
func FuzzSelectAndDisplay(f *testing.F) {
	seeds := []struct{ root, template string }{
		{"$.value[*].mail", "${row}"},
		{"$.value[1].mail", "${row}"},
		{"$['odata.context']", "${row}"},
		{"$.nested.list[-1]", "${row}"},
		{"$.value[?@.mail == 'b@example.com'].mail", "${row}"},
		{"$.absent[*]", "${row}"},
		{"$", "${data.value[0].mail}"},
		{"$.value[*]", "${row.officeLocation}"},
		{"$.value[*]", "${row.businessPhones}"},
		{"$.value[*]", "${row.businessPhones[0]}"},
		{"$.value[*]", "${row.id} ${row.size}"},
		{"", "${data.huge} ${data.accountEnabled}"},
		{"$..*", "${row ?? 'none'} of ${reporter.emailAddress}"},
		{"$.value[?length(@.mail) > 3]", "${items[\"Office\"] ?? row.mail}"},
		{"$[", "${"},
		{"$.value[0:10:0]", "${row[1e9]}"},
	}
	for _, s := range seeds {
		f.Add(s.root, s.template)
	}

	doc, err := decodeJSON([]byte(fuzzDocument))
	if err != nil {
		f.Fatalf("decode fixed document: %v", err)
	}
	env, err := contextEnv(ticket("ada@example.com", "printer"))
	if err != nil {
		f.Fatalf("ticket context: %v", err)
	}

	f.Fuzz(func(t *testing.T, root, template string) {
		path, err := compileRoot(root)
		if err != nil {
			return
		}
		rows := selectRows(path, doc)

		display, err := compileDisplay(template)
		if err != nil {
			return
		}
		for _, row := range rows {
			if _, _, err := display.render(row, env); err != nil {
				_ = err.Error()
			}
		}
		if _, _, err := display.renderWith(dataName, doc, env); err != nil {
			_ = err.Error()
		}
	})
}

// FuzzValidateItemJSON decodes any JSON into an item and validates it.
// Validation must return nil or an error, never panic.
func FuzzValidateItemJSON(f *testing.F) {
	seeds := []string{
		`{"ID":"item-1","Name":"Reporter office","Type":"read-only","Request":{"Method":"GET","Path":"/users/${reporter.emailAddress}"},"Template":"${row.officeLocation}"}`,
		`{"Name":"Groups","Type":"select","Request":{"Method":"GET","Path":"/groups"},"Root":"$.value[*]","Template":"${row.id}","LabelTemplate":"${row.displayName}"}`,
		`{"Name":"Search","Type":"multi-select","Request":{"Method":"POST","Path":"/search","Body":"{\"q\": \"${userInput}\"}","Headers":{"ConsistencyLevel":"eventual"}},"Template":"${row}","Paging":{"Mode":"cursor","CursorPath":"$.next_cursor"}}`,
		`{"Name":"Offset","Type":"read-only","Request":{"Path":"/rows"},"Template":"${row}","Paging":{"Mode":"offset","PageSize":-1}}`,
		`{"Name":"Bad","Type":"read-only","Request":{"Method":"DELETE","Path":"//x","Headers":{"Authorization":"Bearer x"}},"Template":"${"}`,
		`{"MaxRows":-5,"CacheSeconds":-1,"Root":"$[","Template":""}`,
		`{}`,
		`null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		var it fieldlink.Item
		if err := json.Unmarshal(data, &it); err != nil {
			return
		}
		_ = Validate(it)
		_, _ = Dependencies(it)
	})
}
