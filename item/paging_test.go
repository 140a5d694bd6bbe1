package item

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// usersItem lists users' display names, $top at a time.
func usersItem(top int) fieldlink.Item {
	return fieldlink.Item{
		ID:       "item-users",
		Name:     "All users",
		Type:     fieldlink.ItemReadOnly,
		Request:  fieldlink.ItemRequest{Method: "GET", Path: fmt.Sprintf("/users?$select=displayName&$top=%d", top)},
		Root:     "$.value[*]",
		Template: "${row.displayName}",
	}
}

func TestEvaluateODataPagesFromGraph(t *testing.T) {
	engine, ds, upstream := newGraph(t, manyUsers(250))

	got, err := engine.Evaluate(context.Background(), usersItem(100), ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got.Rows != 250 || len(got.Values) != 250 {
		t.Fatalf("Rows = %d, values = %d, want 250 each", got.Rows, len(got.Values))
	}
	if got.Values[0] != "User 001" || got.Values[100] != "User 101" || got.Values[249] != "User 250" {
		t.Errorf("values out of order: %q, %q, %q", got.Values[0], got.Values[100], got.Values[249])
	}
	if got.Truncated {
		t.Error("Truncated = true, want false")
	}
	sent := upstream.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d requests, want 3: %q", len(sent), sent)
	}
	for _, target := range sent[1:] {
		if !strings.HasPrefix(target, ds.BaseURL+"/users?") || !strings.Contains(target, "skiptoken") {
			t.Errorf("next page URL %q is not the emulator's next link", target)
		}
	}
}

func TestEvaluateMaxRowsTruncates(t *testing.T) {
	tests := []struct {
		name          string
		maxRows       int
		wantRows      int
		wantRequests  int
		wantTruncated bool
	}{
		{name: "within first page", maxRows: 30, wantRows: 30, wantRequests: 1, wantTruncated: true},
		{name: "page boundary", maxRows: 200, wantRows: 200, wantRequests: 2, wantTruncated: true},
		{name: "mid second page", maxRows: 150, wantRows: 150, wantRequests: 2, wantTruncated: true},
		{name: "exactly all", maxRows: 250, wantRows: 250, wantRequests: 3, wantTruncated: false},
		{name: "above all", maxRows: 1000, wantRows: 250, wantRequests: 3, wantTruncated: false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine, ds, upstream := newGraph(t, manyUsers(250))
			it := usersItem(100)
			it.MaxRows = tt.maxRows

			got, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", ""))

			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got.Rows != tt.wantRows {
				t.Errorf("Rows = %d, want %d", got.Rows, tt.wantRows)
			}
			if len(got.Values) != tt.wantRows {
				t.Errorf("%d values, want %d", len(got.Values), tt.wantRows)
			}
			if got.Truncated != tt.wantTruncated {
				t.Errorf("Truncated = %v, want %v", got.Truncated, tt.wantTruncated)
			}
			if n := len(upstream.Sent()); n != tt.wantRequests {
				t.Errorf("sent %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestEvaluateDefaultMaxRows(t *testing.T) {
	engine, ds, _ := newGraph(t, manyUsers(1200))

	got, err := engine.Evaluate(context.Background(), usersItem(999), ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got.Rows != fieldlink.DefaultMaxRows || !got.Truncated {
		t.Errorf("Rows = %d, Truncated = %v; want %d rows, truncated", got.Rows, got.Truncated, fieldlink.DefaultMaxRows)
	}
}

func TestEvaluatePagingNone(t *testing.T) {
	engine, ds, upstream := newGraph(t, manyUsers(250))
	it := usersItem(100)
	it.Paging.Mode = fieldlink.PagingNone

	got, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got.Rows != 100 || got.Truncated {
		t.Errorf("Rows = %d, Truncated = %v; want 100, false", got.Rows, got.Truncated)
	}
	if n := len(upstream.Sent()); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

// numbersPage returns a JSON page of the numbers from..to-1 as {"n": i}
// objects under "items", with extra members.
func numbersPage(from, to int, extra string) string {
	var rows []string
	for i := from; i < to; i++ {
		rows = append(rows, fmt.Sprintf(`{"n": %d}`, i))
	}
	body := `{"items": [` + strings.Join(rows, ",") + `]`
	if extra != "" {
		body += ", " + extra
	}
	return body + "}"
}

func numbersItem(path string, paging fieldlink.Paging) fieldlink.Item {
	return fieldlink.Item{
		ID:       "item-numbers",
		Name:     "Numbers",
		Type:     fieldlink.ItemReadOnly,
		Request:  fieldlink.ItemRequest{Method: "GET", Path: path},
		Root:     "$.items[*]",
		Template: "${row.n}",
		Paging:   paging,
	}
}

// numbers returns "from" to "to-1" as text.
func numbers(from, to int) []string {
	var values []string
	for i := from; i < to; i++ {
		values = append(values, strconv.Itoa(i))
	}
	return values
}

func TestEvaluateLinkHeaderPaging(t *testing.T) {
	var paths []string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.RequestURI())
		switch r.URL.Query().Get("page") {
		case "":
			// A relative reference, resolved against the request URL.
			w.Header().Add("Link", `<https://elsewhere.example/docs>; rel="help", <items?page=2&q=a%20b>; rel="next"; title="Page, two"`)
			writeJSON(w, numbersPage(0, 3, ""))
		case "2":
			// An absolute-path reference, with rel among other types.
			w.Header().Add("Link", `</api/items?page=3>; rel="last NEXT"`)
			writeJSON(w, numbersPage(3, 6, ""))
		case "3":
			w.Header().Add("Link", `</api/items?page=1>; rel="first"`)
			writeJSON(w, numbersPage(6, 7, ""))
		}
	}))
	it := numbersItem("/items", fieldlink.Paging{Mode: fieldlink.PagingLink})

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, "/api"), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, 7)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	want := []string{"/api/items", "/api/items?page=2&q=a%20b", "/api/items?page=3"}
	if diff := cmp.Diff(paths, want); diff != "" {
		t.Errorf("requests (-got +want):\n%s", diff)
	}
}

func TestEvaluateCursorPaging(t *testing.T) {
	var seen []string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery)
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, numbersPage(0, 2, `"meta": {"next": "c/2+&="}`))
		case "c/2+&=":
			writeJSON(w, numbersPage(2, 4, `"meta": {"next": "c3"}`))
		case "c3":
			writeJSON(w, numbersPage(4, 5, `"meta": {"next": ""}`))
		default:
			http.Error(w, "unknown cursor", http.StatusBadRequest)
		}
	}))
	it := numbersItem("/items?filter=mail eq 'a'", fieldlink.Paging{
		Mode: fieldlink.PagingCursor, CursorPath: "$.meta.next", CursorParam: "cursor",
	})

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, 5)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	want := []string{
		"filter=mail%20eq%20'a'",
		"filter=mail%20eq%20'a'&cursor=c%2F2%2B%26%3D",
		"filter=mail%20eq%20'a'&cursor=c3",
	}
	if diff := cmp.Diff(seen, want); diff != "" {
		t.Errorf("queries (-got +want):\n%s", diff)
	}
}

func TestEvaluateCursorMissingEndsPaging(t *testing.T) {
	var requests atomic.Int64
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Query().Get("after") == "" {
			writeJSON(w, numbersPage(0, 2, `"next": 17`))
			return
		}
		writeJSON(w, numbersPage(2, 3, `"next": null`))
	}))
	it := numbersItem("/items", fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.next", CursorParam: "after"})

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, 3)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestEvaluateOffsetPaging(t *testing.T) {
	const total = 23
	var queries []string
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		size, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		writeJSON(w, numbersPage(start, min(start+size, total), ""))
	}))
	it := numbersItem("/search?jql=project = HELP&startAt=99", fieldlink.Paging{
		Mode: fieldlink.PagingOffset, OffsetParam: "startAt", LimitParam: "maxResults", PageSize: 10,
	})

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, total)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	want := []string{
		"jql=project%20=%20HELP&startAt=0&maxResults=10",
		"jql=project%20=%20HELP&maxResults=10&startAt=10",
		"jql=project%20=%20HELP&maxResults=10&startAt=20",
	}
	if diff := cmp.Diff(queries, want); diff != "" {
		t.Errorf("queries (-got +want):\n%s", diff)
	}
}

func TestEvaluateOffsetPagingFullLastPage(t *testing.T) {
	var requests atomic.Int64
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		start, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		writeJSON(w, numbersPage(start, min(start+5, 10), ""))
	}))
	it := numbersItem("/items", fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "offset", PageSize: 5})

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, 10)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	// The second page is full, so only an empty third page shows the end.
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestEvaluateOffsetPagingTruncates(t *testing.T) {
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		writeJSON(w, numbersPage(start, start+5, ""))
	}))
	it := numbersItem("/items", fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "offset", PageSize: 5})
	it.MaxRows = 12

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff(got.Values, numbers(0, 12)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
	if !got.Truncated {
		t.Error("Truncated = false, want true")
	}
}

func TestEvaluateRepeatedNextLink(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		paging  fieldlink.Paging
	}{
		{
			name: "odata link back to first page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("page") == "" {
					writeJSON(w, numbersPage(0, 1, fmt.Sprintf(`"@odata.nextLink": "http://%s/items?page=2"`, r.Host)))
					return
				}
				writeJSON(w, numbersPage(1, 2, fmt.Sprintf(`"@odata.nextLink": "http://%s/items"`, r.Host)))
			},
		},
		{
			name: "link header to itself",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", `<`+r.URL.RequestURI()+`>; rel=next`)
				writeJSON(w, numbersPage(0, 1, ""))
			},
			paging: fieldlink.Paging{Mode: fieldlink.PagingLink},
		},
		{
			name: "cursor repeats",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, numbersPage(0, 1, `"next": "same"`))
			},
			paging: fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.next", CursorParam: "cursor"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tt.handler(w, r)
			}))
			it := numbersItem("/items", tt.paging)

			_, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

			var pagingErr *PagingError
			if !errors.As(err, &pagingErr) {
				t.Fatalf("Evaluate error = %v, want *PagingError", err)
			}
			for _, want := range []string{`"Numbers"`, "repeats page"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := requests.Load(); n > 2 {
				t.Errorf("%d requests, want at most 2", n)
			}
		})
	}
}

func TestEvaluateNextLinkToOtherHost(t *testing.T) {
	var otherRequests atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherRequests.Add(1)
		writeJSON(w, numbersPage(1, 2, ""))
	}))
	defer other.Close()

	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		paging  fieldlink.Paging
	}{
		{
			name: "odata",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, numbersPage(0, 1, `"@odata.nextLink": "`+other.URL+`/items?page=2"`))
			},
		},
		{
			name: "link header",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "<"+other.URL+"/items?page=2>; rel=next")
				writeJSON(w, numbersPage(0, 1, ""))
			},
			paging: fieldlink.Paging{Mode: fieldlink.PagingLink},
		},
		{
			name: "scheme-relative link",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "<//"+strings.TrimPrefix(other.URL, "http://")+"/items>; rel=next")
				writeJSON(w, numbersPage(0, 1, ""))
			},
			paging: fieldlink.Paging{Mode: fieldlink.PagingLink},
		},
		{
			name: "other scheme",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, numbersPage(0, 1, `"@odata.nextLink": "https://`+r.Host+`/items?page=2"`))
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, engine, upstream := newAPI(t, http.HandlerFunc(tt.handler))
			it := numbersItem("/items", tt.paging)

			_, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

			var pagingErr *PagingError
			if !errors.As(err, &pagingErr) {
				t.Fatalf("Evaluate error = %v, want *PagingError", err)
			}
			for _, want := range []string{`"Numbers"`, "credentials are sent only to the datasource's own host"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := len(upstream.Sent()); n != 1 {
				t.Errorf("upstream sent %d requests, want 1", n)
			}
		})
	}
	if n := otherRequests.Load(); n != 0 {
		t.Errorf("other host received %d requests, want 0", n)
	}
}

func TestEvaluateStopsAfterMaxPages(t *testing.T) {
	var requests atomic.Int64
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		writeJSON(w, numbersPage(n, n+1, fmt.Sprintf(`"@odata.nextLink": "/items?page=%d"`, n+1)))
	}))
	it := numbersItem("/items", fieldlink.Paging{})

	_, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	var pagingErr *PagingError
	if !errors.As(err, &pagingErr) {
		t.Fatalf("Evaluate error = %v, want *PagingError", err)
	}
	if pagingErr.Page != MaxPages {
		t.Errorf("Page = %d, want %d", pagingErr.Page, MaxPages)
	}
	for _, want := range []string{`"Numbers"`, "more than 100 pages"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := requests.Load(); n != MaxPages {
		t.Errorf("%d requests, want %d", n, MaxPages)
	}
}

func TestEvaluatePageErrorNamesPage(t *testing.T) {
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusTooManyRequests)
			writeJSON(w, `{"error": {"code": "TooManyRequests", "message": "Slow down"}}`)
			return
		}
		writeJSON(w, numbersPage(0, 1, `"@odata.nextLink": "/items?page=2"`))
	}))
	it := numbersItem("/items", fieldlink.Paging{})

	_, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	var status *UpstreamStatusError
	if !errors.As(err, &status) {
		t.Fatalf("Evaluate error = %v, want *UpstreamStatusError", err)
	}
	if !strings.Contains(err.Error(), "(page 2)") {
		t.Errorf("error %q does not name page 2", err)
	}
}

func TestEvaluateCachesAllPages(t *testing.T) {
	engine, ds, upstream := newGraph(t, manyUsers(250))
	it := usersItem(100)
	it.CacheSeconds = 60

	for range 2 {
		got, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", ""))
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		if got.Rows != 250 {
			t.Fatalf("Rows = %d, want 250", got.Rows)
		}
	}
	if n := len(upstream.Sent()); n != 3 {
		t.Errorf("sent %d requests over two evaluations, want 3", n)
	}

	// Another row limit keeps other rows, so it is not served from the
	// first evaluation's cache entry.
	it.MaxRows = 10
	got, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", ""))
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got.Rows != 10 {
		t.Errorf("Rows = %d after changing maxRows, want 10", got.Rows)
	}
}

func TestNextFromLinkHeader(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   string
		wantOK bool
	}{
		{name: "simple", fields: []string{`<https://api.example/items?page=2>; rel="next"`}, want: "https://api.example/items?page=2", wantOK: true},
		{name: "token rel", fields: []string{`</items?page=2>;rel=next`}, want: "/items?page=2", wantOK: true},
		{name: "case", fields: []string{`</p2>; REL="Next"`}, want: "/p2", wantOK: true},
		{name: "several types", fields: []string{`</p2>; rel="prev next"`}, want: "/p2", wantOK: true},
		{name: "second link", fields: []string{`</p1>; rel="prev", </p3>; rel="next"`}, want: "/p3", wantOK: true},
		{name: "second field", fields: []string{`</p1>; rel="prev"`, `</p3>; rel="next"`}, want: "/p3", wantOK: true},
		{name: "comma in title", fields: []string{`</p1>; title="a, <b>; rel=next"; rel="prev", </p3>; rel=next`}, want: "/p3", wantOK: true},
		{name: "escaped quote", fields: []string{`</p1>; title="say \"hi\"", </p2>; rel="next"`}, want: "/p2", wantOK: true},
		{name: "first rel counts", fields: []string{`</p1>; rel="prev"; rel="next"`}, wantOK: false},
		{name: "next-archive is not next", fields: []string{`</p1>; rel="next-archive"`}, wantOK: false},
		{name: "no next", fields: []string{`</p1>; rel="last"`}, wantOK: false},
		{name: "not a link", fields: []string{`garbage, </p2>; rel=next`}, want: "/p2", wantOK: true},
		{name: "unclosed", fields: []string{`</p2; rel=next`}, wantOK: false},
		{name: "empty", fields: nil, wantOK: false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := nextFromLinkHeader(tt.fields)

			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (target %q)", ok, tt.wantOK, got)
			}
			if got != tt.want {
				t.Errorf("target = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetQueryParam(t *testing.T) {
	tests := []struct {
		path, name, value, want string
	}{
		{"/items", "offset", "10", "/items?offset=10"},
		{"/items?", "offset", "10", "/items?offset=10"},
		{"/items?a=1&offset=0&b=2", "offset", "10", "/items?a=1&b=2&offset=10"},
		{"/items?%24skip=1", "$skip", "20", "/items?%24skip=20"},
		{"/items?$filter=mail%20eq%20'a'", "cursor", "a b&c=d", "/items?$filter=mail%20eq%20'a'&cursor=a+b%26c%3Dd"},
		{"/items?flag", "cursor", "x", "/items?flag&cursor=x"},
	}

	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := setQueryParam(tt.path, tt.name, tt.value); got != tt.want {
				t.Errorf("setQueryParam(%q, %q, %q) = %q, want %q", tt.path, tt.name, tt.value, got, tt.want)
			}
		})
	}
}

func TestRenderOffsetFirstPage(t *testing.T) {
	it := numbersItem("/items?q=${reporter.emailAddress}", fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "start", LimitParam: "limit", PageSize: 25})

	got := mustRender(t, it, ticket("ada@example.com", ""))

	if want := "/items?q=ada%40example.com&start=0&limit=25"; got.Path != want {
		t.Errorf("Path = %q, want %q", got.Path, want)
	}
}
