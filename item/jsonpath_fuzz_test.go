package item

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// FuzzJSONPath compiles an expression as an item's root and as its
// paging.cursorPath, and selects with it from a fuzzed JSON document and
// from a fixed one. Nothing panics. Both settings accept the same
// expressions, and a rejection is an invalid-input error that starts with
// the setting's name. Selecting twice gives the same rows in the same order,
// and they are the rows that the JSONPath library selects, in any order. The
// cursor of the next page is the first row's text.
func FuzzJSONPath(f *testing.F) {
	seeds := []struct{ expression, document string }{
		{"$.value[*]", `{"value": [{"mail": "a@example.com"}, {"mail": "b@example.com"}]}`},
		{"$.users.*", `{"users": {"u1": {"office": "Paris"}, "u2": {"office": "London"}, "u3": {"office": "Tokyo"}}}`},
		{"$..office", `{"a": {"office": "Paris"}, "b": [{"office": "London"}, {"c": {"office": "Oslo"}}]}`},
		{"$.*", `{"b": 2, "a": 1, "c": [3], "d": {"e": 4}}`},
		{"$..*", `[[1, 2], {"x": [3]}, "y"]`},
		{"$[1,0]", `["first", "second"]`},
		{"$['b','a']", `{"a": 1, "b": 2}`},
		{"$.value[?@.office == 'Paris'].mail", `{"value": [{"office": "Paris", "mail": "a"}, {"office": "Oslo", "mail": "b"}]}`},
		{"$.value[?length(@.mail) > 3 && search(@.mail, 'ex.*')]", `{"value": [{"mail": "ex@example.com"}, {"mail": "x"}]}`},
		{"$[?count(@.*) > 1]", `{"a": {"x": 1, "y": 2}, "b": {"x": 1}}`},
		{"$.value[-1:0:-1]", `{"value": [0, 1, 2, 3]}`},
		{"$.value[0:10:0]", `{"value": [0, 1]}`},
		{"$['@odata.nextLink']", `{"@odata.nextLink": "https://graph.example/v1.0/users?$skiptoken=x"}`},
		{"$.next_cursor", `{"next_cursor": 1e400}`},
		{"$.a[9223372036854775807]", `{"a": [1]}`},
		{"$[", `{}`},
		{"$.a b", `{}`},
		{"  ", `null`},
		{"$", `"text"`},
	}
	for _, s := range seeds {
		f.Add(s.expression, []byte(s.document))
	}

	fixed, err := decodeJSON([]byte(fuzzDocument))
	if err != nil {
		f.Fatalf("decode fixed document: %v", err)
	}

	f.Fuzz(func(t *testing.T, expression string, document []byte) {
		root, rootErr := compileRoot(expression)
		paging, pagingErr := compilePaging(fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: expression, CursorParam: "cursor"})
		if rootErr != nil {
			checkSettingError(t, rootErr, "root")
		}
		if pagingErr != nil {
			checkSettingError(t, pagingErr, "paging.cursorPath")
		}
		if strings.TrimSpace(expression) != "" && (rootErr == nil) != (pagingErr == nil) {
			t.Fatalf("expression %q: root error %v, but paging.cursorPath error %v", expression, rootErr, pagingErr)
		}
		if rootErr != nil || root == nil {
			return
		}

		documents := []any{fixed}
		if doc, err := decodeJSON(document); err == nil {
			documents = append(documents, doc)
		}
		for _, doc := range documents {
			rows := selectRows(root, doc)
			if again := selectRows(root, doc); !reflect.DeepEqual(again, rows) {
				t.Fatalf("expression %q selected different rows from one document:\nfirst  %v\nsecond %v", expression, rows, again)
			}
			if got, want := encodedRows(t, rows), encodedRows(t, root.Select(doc)); !slices.Equal(got, want) {
				t.Fatalf("expression %q selected rows %q, want those of the JSONPath library %q in any order", expression, got, want)
			}
			checkNextCursor(t, paging, doc, rows)
		}
	})
}

// encodedRows returns the rows as JSON texts in sorted order, so two
// selections can be compared ignoring their order.
func encodedRows(t *testing.T, rows []any) []string {
	t.Helper()

	texts := make([]string, len(rows))
	for i, row := range rows {
		text, err := json.Marshal(row)
		if err != nil {
			t.Fatalf("encode row %v: %v", row, err)
		}
		texts[i] = string(text)
	}
	slices.Sort(texts)
	return texts
}

// checkNextCursor checks that cursor paging requests the next page with the
// text of the first row as the cursor, and stops when there is none.
func checkNextCursor(t *testing.T, paging pagingPlan, doc any, rows []any) {
	t.Helper()

	first := fieldlink.UpstreamRequest{Method: "GET", Path: "/users?top=5"}
	next, ok, err := paging.next(fieldlink.Datasource{}, page{first: first, current: first, doc: doc})
	if err != nil {
		t.Fatalf("next page: %v", err)
	}

	var cursor string
	if len(rows) > 0 {
		cursor, _ = scalarText(rows[0])
	}
	if cursor == "" {
		if ok {
			t.Errorf("next page %q requested without a cursor", next.Path)
		}
		return
	}
	want := "/users?top=5&cursor=" + url.QueryEscape(cursor)
	if !ok || next.Path != want {
		t.Errorf("next page = %q (requested %v), want %q", next.Path, ok, want)
	}
}

// checkSettingError checks that err is an invalid-input error whose message
// starts with the setting's name.
func checkSettingError(t *testing.T, err error, setting string) {
	t.Helper()

	var e *fieldlink.Error
	if !errors.As(err, &e) || e.Code != fieldlink.EInvalid {
		t.Fatalf("error %T %v, want a *fieldlink.Error with code %q", err, err, fieldlink.EInvalid)
	}
	if !strings.HasPrefix(e.Message, setting+" ") {
		t.Errorf("error %q does not start with %q", e.Message, setting)
	}
}
