package item

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestTracePagesFromGraph(t *testing.T) {
	engine, ds, upstream := newGraph(t, manyUsers(250))
	timings := fieldlink.RequestTimings{SendingMS: 1, WaitingMS: 2, ReadingMS: 3}
	engine.upstream = tracingBearerUpstream{bearerUpstream: upstream, timings: timings}
	it := usersItem(100)
	it.Request.Headers = map[string]string{"ConsistencyLevel": "eventual"}

	trace, err := engine.Trace(context.Background(), it, ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if trace.Error != "" {
		t.Fatalf("Trace.Error = %q", trace.Error)
	}
	if len(trace.Requests) != 3 {
		t.Fatalf("%d traced requests, want 3", len(trace.Requests))
	}
	first := trace.Requests[0]
	if want := ds.BaseURL + "/users?$select=displayName&$top=100"; first.URL != want {
		t.Errorf("first URL = %q, want %q", first.URL, want)
	}
	if diff := cmp.Diff(first.Headers, map[string]string{"Consistencylevel": "eventual"}); diff != "" {
		t.Errorf("headers (-got +want):\n%s", diff)
	}
	for i, req := range trace.Requests {
		if req.Method != "GET" || req.Status != 200 {
			t.Errorf("request %d: %s status %d, want GET 200", i, req.Method, req.Status)
		}
		if req.Timings != timings {
			t.Errorf("request %d timings = %+v, want %+v", i, req.Timings, timings)
		}
		if !strings.Contains(req.Response, `"displayName":"User `) {
			t.Errorf("request %d response does not hold the users: %.100s", i, req.Response)
		}
	}
	if !strings.Contains(trace.Requests[2].URL, "skiptoken") {
		t.Errorf("third URL %q is not the emulator's next link", trace.Requests[2].URL)
	}
	if len(trace.Rows) != 250 || trace.Result.Rows != 250 || len(trace.Result.Values) != 250 {
		t.Errorf("rows %d, result rows %d, values %d; want 250 each", len(trace.Rows), trace.Result.Rows, len(trace.Result.Values))
	}
}

func TestTraceBypassesCache(t *testing.T) {
	engine, ds, upstream := newGraph(t, manyUsers(3))
	it := usersItem(100)
	it.CacheSeconds = 300

	if _, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", "")); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	trace, err := engine.Trace(context.Background(), it, ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if len(trace.Requests) != 1 {
		t.Errorf("%d traced requests, want 1", len(trace.Requests))
	}
	if n := len(upstream.Sent()); n != 2 {
		t.Errorf("sent %d requests, want 2", n)
	}
}

func TestTraceWithoutTimings(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`{"officeLocation": "Paris"}`)})

	trace, err := engine.Trace(context.Background(), officeItem(0), graphDatasource, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if len(trace.Requests) != 1 || trace.Requests[0].Timings != (fieldlink.RequestTimings{}) {
		t.Errorf("requests = %+v, want one with zero timings", trace.Requests)
	}
	want := fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris", Rows: 1}
	if diff := cmp.Diff(trace.Result, want); diff != "" {
		t.Errorf("result (-got +want):\n%s", diff)
	}
}

func TestTraceCapsResponse(t *testing.T) {
	// A 3-byte character straddles the cap, so the cut must not split it.
	long := strings.Repeat("a", MaxTracedResponse-20) + strings.Repeat("€", 100)
	engine := NewEngine(Options{Upstream: jsonUpstream(`{"note": "` + long + `"}`)})
	it := readOnlyItem("/note", "${len(row.note)}")

	trace, err := engine.Trace(context.Background(), it, graphDatasource, fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	response := trace.Requests[0].Response
	if !trace.Requests[0].ResponseTruncated {
		t.Error("ResponseTruncated = false, want true")
	}
	if len(response) > MaxTracedResponse || len(response) < MaxTracedResponse-3 {
		t.Errorf("response is %d bytes, want just under %d", len(response), MaxTracedResponse)
	}
	if !utf8.ValidString(response) {
		t.Error("response is not valid UTF-8")
	}
	// The rows come from the whole body, not the capped copy.
	if want := strconv.Itoa(utf8.RuneCountInString(long)); trace.Result.Text != want {
		t.Errorf("Text = %q, want the full note's length %s", trace.Result.Text, want)
	}
}

func TestTraceRedactsSecrets(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`{"ok": "yes"}`)})
	it := readOnlyItem("/search?q=${reporter.emailAddress}&api_key=k3y&access_token=t0k&code=7&sig=abc", "${row.ok}")
	it.Request.Headers = map[string]string{"X-Auth-Token": "hunter2", "X-Client-Secret": "c2VjcmV0", "Accept": "application/json"}
	ds := graphDatasource
	ds.BaseURL = "https://user:pass@api.example/v1?subscription=s1"
	ds.Auth = fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "subscription", APIKeyIn: fieldlink.APIKeyInQuery}

	trace, err := engine.Trace(context.Background(), it, ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	req := trace.Requests[0]
	want := "https://user:xxxxx@api.example/v1/search?subscription=REDACTED&q=ada%40example.com&api_key=REDACTED&access_token=REDACTED&code=7&sig=REDACTED"
	if req.URL != want {
		t.Errorf("URL = %q\nwant  %q", req.URL, want)
	}
	wantHeaders := map[string]string{"X-Auth-Token": "REDACTED", "X-Client-Secret": "REDACTED", "Accept": "application/json"}
	if diff := cmp.Diff(req.Headers, wantHeaders); diff != "" {
		t.Errorf("headers (-got +want):\n%s", diff)
	}
}

func TestTraceRecordsFailure(t *testing.T) {
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusInternalServerError)
			writeJSON(w, `{"error": {"code": "generalException", "message": "Try later"}}`)
			return
		}
		writeJSON(w, numbersPage(0, 3, `"@odata.nextLink": "/items?page=2"`))
	}))
	it := numbersItem("/items", fieldlink.Paging{})

	trace, err := engine.Trace(context.Background(), it, apiDatasource(server, ""), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	for _, want := range []string{"(page 2)", "HTTP 500", "Try later"} {
		if !strings.Contains(trace.Error, want) {
			t.Errorf("Trace.Error %q does not contain %q", trace.Error, want)
		}
	}
	if len(trace.Requests) != 2 || trace.Requests[1].Status != 500 || !strings.Contains(trace.Requests[1].Response, "Try later") {
		t.Errorf("requests = %+v, want the failing second page recorded", trace.Requests)
	}
	if len(trace.Rows) != 3 {
		t.Errorf("%d rows, want the first page's 3", len(trace.Rows))
	}
	if diff := cmp.Diff(trace.Result.Values, numbers(0, 3)); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
}

func TestTraceMissingValue(t *testing.T) {
	upstream := jsonUpstream(`{}`)
	engine := NewEngine(Options{Upstream: upstream})

	trace, err := engine.Trace(context.Background(), officeItem(0), graphDatasource, ticket("", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if !strings.Contains(trace.Error, "missing value: reporter.emailAddress") {
		t.Errorf("Trace.Error = %q, want the missing value", trace.Error)
	}
	if len(trace.Requests) != 0 || upstream.calls.Load() != 0 {
		t.Errorf("%d traced requests, %d sent; want none", len(trace.Requests), upstream.calls.Load())
	}
}

func TestTraceTransportError(t *testing.T) {
	upstream := &fakeUpstream{DoFunc: func(context.Context, fieldlink.Datasource, fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
		return fieldlink.UpstreamResponse{}, errors.New("dial tcp 127.0.0.1:1: connection refused")
	}}
	engine := NewEngine(Options{Upstream: upstream})

	trace, err := engine.Trace(context.Background(), officeItem(0), graphDatasource, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	if !strings.Contains(trace.Error, "connection refused") {
		t.Errorf("Trace.Error = %q, want the transport error", trace.Error)
	}
	if len(trace.Requests) != 1 || trace.Requests[0].Status != 0 {
		t.Errorf("requests = %+v, want one without a status", trace.Requests)
	}
}

func TestTraceInvalidItem(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(`{}`)})
	it := officeItem(0)
	it.Root = "$["

	trace, err := engine.Trace(context.Background(), it, graphDatasource, ticket("ada@example.com", ""))

	if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
		t.Fatalf("Trace error = %v, want EInvalid", err)
	}
	if !strings.Contains(trace.Error, "root") {
		t.Errorf("Trace.Error = %q, want the root error", trace.Error)
	}
}
