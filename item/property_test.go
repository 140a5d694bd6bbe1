package item

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// hostileValues are values that would change a request's structure if they
// were pasted into it unescaped.
var hostileValues = []string{
	"/", "?", "#", "&", "=", "'", `"`, "%", "+", " ", "\\",
	"...", "a/../b", "../admin", "%2e%2e", "%2F", "a%20b",
	"x&admin=true", "x'; DROP", `x" OR reporter != "`, "mail eq 'a' or true",
	"ada_example.com#EXT#@tenant.onmicrosoft.com",
	"Zoë", "東京", "😀", "\u2028", "\x00",
	"a\r\nX-Admin: true", "\n", "\t",
	strings.Repeat("a/?#", 2000),
}

// structureItem has a placeholder in every placement of the path and the
// body.
func structureItem() fieldlink.Item {
	it := readOnlyItem(
		`/users/${userInput}/manager('${userInput}')?$filter=mail eq '${userInput}'&jql=reporter = "${userInput}"&q=${userInput}&$top=1`,
		"${row}",
	)
	it.Request.Method = "POST"
	it.Request.Body = `{"text": "say ${userInput}", "value": ${userInput}, "jql": "reporter = \"${userInput}\"", "n": 1}`
	return it
}

// structureProblems renders structureItem with value and returns how the
// request differs from the structure the template shows, decoding each
// placeholder's position back to the value.
func structureProblems(value string) []string {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("value %q: ", value)+fmt.Sprintf(format, args...))
	}

	req, err := Render(structureItem(), ticket("ada@example.com", value))
	if err != nil {
		report("Render: %v", err)
		return problems
	}

	path, rawQuery, _ := strings.Cut(req.Path, "?")
	segments := strings.Split(path, "/")
	if len(segments) != 4 {
		report("path %q has %d segments, want 4", path, len(segments))
		return problems
	}
	if got, err := url.PathUnescape(segments[2]); err != nil || got != value {
		report("path segment decodes to %q, %v", got, err)
	}
	key, err := url.PathUnescape(segments[3])
	odataKey, ok := strings.CutPrefix(key, "manager('")
	odataKey, ok2 := strings.CutSuffix(odataKey, "')")
	if err != nil || !ok || !ok2 || unescapeOData(odataKey) != value {
		report("last path segment %q does not hold the value as one OData key", segments[3])
	}

	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		report("parse query %q: %v", rawQuery, err)
		return problems
	}
	keys := slices.Sorted(maps.Keys(query))
	if diff := cmp.Diff(keys, []string{"$filter", "$top", "jql", "q"}); diff != "" {
		report("query keys (-got +want):\n%s", diff)
	}
	for key, values := range query {
		if len(values) != 1 {
			report("query key %q appears %d times", key, len(values))
		}
	}

	if got := query.Get("q"); got != value {
		report("q decodes to %q", got)
	}
	filter := query.Get("$filter")
	literal, ok := strings.CutPrefix(filter, "mail eq '")
	literal, ok2 = strings.CutSuffix(literal, "'")
	if !ok || !ok2 || unescapeOData(literal) != value {
		report("$filter %q does not hold the value as one OData literal", filter)
	}
	jql := query.Get("jql")
	quoted, ok := strings.CutPrefix(jql, `reporter = "`)
	quoted, ok2 = strings.CutSuffix(quoted, `"`)
	if !ok || !ok2 || unescapeJQL(quoted) != value {
		report("jql %q does not hold the value as one JQL string", jql)
	}

	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		report("body %q is not JSON: %v", req.Body, err)
		return problems
	}
	bodyJQL, _ := body["jql"].(string)
	quoted, ok = strings.CutPrefix(bodyJQL, `reporter = "`)
	quoted, ok2 = strings.CutSuffix(quoted, `"`)
	if !ok || !ok2 || unescapeJQL(quoted) != value {
		report("body jql %q does not hold the value as one JQL string", bodyJQL)
	}
	delete(body, "jql")
	want := map[string]any{"text": "say " + value, "value": value, "n": 1.0}
	if diff := cmp.Diff(body, want); diff != "" {
		report("body (-got +want):\n%s", diff)
	}
	return problems
}

// unescapeOData reverses the quote doubling of an OData string literal, and
// returns "\x00invalid" when a lone quote would end the literal early.
func unescapeOData(s string) string {
	if strings.Contains(strings.ReplaceAll(s, "''", ""), "'") {
		return "\x00invalid"
	}
	return strings.ReplaceAll(s, "''", "'")
}

// unescapeJQL reverses the backslash escaping of a JQL string, and returns
// "\x00invalid" when a backslash escapes anything else or an unescaped quote
// is left.
func unescapeJQL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"'):
			b.WriteByte(s[i+1])
			i++
		case s[i] == '\\' || s[i] == '"':
			return "\x00invalid"
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func TestRenderStructureHostileValues(t *testing.T) {
	for _, value := range hostileValues {
		for _, problem := range structureProblems(value) {
			t.Error(problem)
		}
	}
}

func TestRenderStructureRandomValues(t *testing.T) {
	alphabet := []rune("/?#&=%+'\" \\.;:,@!$()*[]{}<>|^~`\r\n\tazAZ09éü東😀")

	generate := func(values []reflect.Value, r *rand.Rand) {
		n := 1 + r.Intn(40)
		runes := make([]rune, n)
		for i := range runes {
			runes[i] = alphabet[r.Intn(len(alphabet))]
		}
		values[0] = reflect.ValueOf(string(runes))
	}

	property := func(value string) bool {
		if value == "." || value == ".." {
			return true
		}
		problems := structureProblems(value)
		for _, problem := range problems {
			t.Log(problem)
		}
		return len(problems) == 0
	}

	if err := quick.Check(property, &quick.Config{MaxCount: 500, Values: generate}); err != nil {
		t.Error(err)
	}
}

func TestRenderHeaderRandomValues(t *testing.T) {
	property := func(value string) bool {
		it := readOnlyItem("/me", "${row}")
		it.Request.Headers = map[string]string{"X-Input": "v=${userInput}"}

		req, err := Render(it, ticket("ada@example.com", value))

		if value == "" {
			return err != nil
		}
		if strings.IndexFunc(value, isHeaderControl) >= 0 {
			return err != nil && len(req.Header) == 0
		}
		return err == nil && req.Header.Get("X-Input") == "v="+value && len(req.Header) == 1
	}

	if err := quick.Check(property, &quick.Config{MaxCount: 1000}); err != nil {
		t.Error(err)
	}
}
