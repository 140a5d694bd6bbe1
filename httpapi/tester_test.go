package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func TestItemTesterReportsSteps(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())

	r := g.call("POST", "/api/v1/items/"+it.ID+"/test", adminToken, ItemTestBody{Context: amelieContext()})
	if r.status != http.StatusOK {
		t.Fatalf("test: %d %s", r.status, r.body)
	}
	report := decodeBody[TraceBody](t, r)

	if report.Error != "" {
		t.Errorf("error = %q, want none", report.Error)
	}
	if len(report.Requests) != 1 {
		t.Fatalf("requests = %d, want 1: %s", len(report.Requests), r.body)
	}
	req := report.Requests[0]
	if req.Method != "GET" {
		t.Errorf("method = %q, want GET", req.Method)
	}
	if !strings.Contains(req.URL, "/v1.0/users/amelie.laurent@fabrikam.example") || !strings.Contains(req.URL, "officeLocation") {
		t.Errorf("url = %q, want the rendered user path with its $select", req.URL)
	}
	if req.Status != http.StatusOK {
		t.Errorf("status = %d, want 200", req.Status)
	}
	if !strings.Contains(req.Response, `"officeLocation":"Paris"`) {
		t.Errorf("response = %q, want the raw Graph body", req.Response)
	}
	if req.ResponseTruncated {
		t.Error("responseTruncated = true for a small body")
	}

	// The emulator waits graphLatency before it responds, so the request
	// cannot have taken less in total.
	total := req.Timings.SendingMS + req.Timings.WaitingMS + req.Timings.ReadingMS
	if total < graphLatency.Milliseconds() {
		t.Errorf("timings %+v add up to %d ms, want at least the emulator's %d ms", req.Timings, total, graphLatency.Milliseconds())
	}
	for _, key := range []string{`"sendingMs"`, `"waitingMs"`, `"readingMs"`, `"processingMs"`} {
		if !bytes.Contains(r.body, []byte(key)) {
			t.Errorf("report has no %s: %s", key, r.body)
		}
	}

	if report.RowsTotal != 1 || len(report.Rows) != 1 {
		t.Errorf("rows = %d shown of %d, want 1 of 1", len(report.Rows), report.RowsTotal)
	}
	want := fieldlink.ItemResult{Values: []string{"Paris"}, Text: "Paris", Rows: 1}
	if diff := cmp.Diff(want, report.Result); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestItemTesterBypassesCache(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())

	before := g.graph.Requests()
	for range 2 {
		r := g.call("POST", "/api/v1/items/"+it.ID+"/test", adminToken, ItemTestBody{Context: amelieContext()})
		if r.status != http.StatusOK {
			t.Fatalf("test: %d %s", r.status, r.body)
		}
	}
	if got := g.graph.Requests() - before; got != 2 {
		t.Errorf("Graph received %d requests for two tests of a cached item, want 2", got)
	}
}

func TestItemTesterReportsFailure(t *testing.T) {
	g := newGraphAPI(t)
	it := g.createItem(officeItemBody())

	tc := fieldlink.TicketContext{Reporter: &fieldlink.User{EmailAddress: "nobody@fabrikam.example"}}
	r := g.call("POST", "/api/v1/items/"+it.ID+"/test", adminToken, ItemTestBody{Context: tc})
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 with the failure inside: %s", r.status, r.body)
	}
	report := decodeBody[TraceBody](t, r)

	if !strings.Contains(report.Error, "404") {
		t.Errorf("error = %q, want the upstream 404", report.Error)
	}
	if len(report.Requests) != 1 {
		t.Fatalf("requests = %d, want 1: %s", len(report.Requests), r.body)
	}
	if report.Requests[0].Status != http.StatusNotFound {
		t.Errorf("request status = %d, want 404", report.Requests[0].Status)
	}
	if !strings.Contains(report.Requests[0].Response, "Request_ResourceNotFound") {
		t.Errorf("response = %q, want Graph's error body", report.Requests[0].Response)
	}
}

func TestItemTesterShowsDependencies(t *testing.T) {
	g := newGraphAPI(t)
	var last ItemBody
	for _, body := range chainItemBodies() {
		last = g.createItem(body)
	}

	r := g.call("POST", "/api/v1/items/"+last.ID+"/test", adminToken, ItemTestBody{Context: amelieContext()})
	if r.status != http.StatusOK {
		t.Fatalf("test: %d %s", r.status, r.body)
	}
	report := decodeBody[TraceBody](t, r)

	if report.Error != "" {
		t.Fatalf("error = %q, want none", report.Error)
	}
	department, ok := report.Dependencies["Reporter department"]
	if !ok {
		t.Fatalf("dependencies = %v, want Reporter department", report.Dependencies)
	}
	if department.Text != "IT" {
		t.Errorf("Reporter department = %q, want IT", department.Text)
	}
	if len(report.Requests) != 1 || !strings.Contains(report.Requests[0].URL, "department") {
		t.Errorf("requests = %+v, want the one request of the tested item", report.Requests)
	}
	if report.RowsTotal != 3 {
		t.Errorf("rowsTotal = %d, want 3 IT users", report.RowsTotal)
	}
	if len(report.Result.Options) != 3 || report.Result.Options[1].Label != "Priya Nair" {
		t.Errorf("options = %+v, want the three IT users labeled by name", report.Result.Options)
	}
}

func TestDraftItemTester(t *testing.T) {
	g := newGraphAPI(t)

	draft := DraftItemTestBody{ItemBody: officeItemBody(), Context: amelieContext()}
	draft.Datasource = g.datasourceID
	draft.Request.Path = "/users/${reporter.emailAddress}?$select=city"
	draft.Template = "${row.city}"
	r := g.call("POST", "/api/v1/items/test", adminToken, draft)
	if r.status != http.StatusOK {
		t.Fatalf("test draft: %d %s", r.status, r.body)
	}
	report := decodeBody[TraceBody](t, r)
	if report.Result.Text != "Paris" {
		t.Errorf("text = %q, want Paris (error %q)", report.Result.Text, report.Error)
	}
	if len(report.Requests) != 1 || !strings.Contains(report.Requests[0].URL, "city") {
		t.Errorf("requests = %+v, want the draft's request", report.Requests)
	}

	list := decodeBody[ListBody[ItemBody]](t, g.call("GET", "/api/v1/items", adminToken, nil))
	if len(list.Items) != 0 {
		t.Errorf("items after testing a draft = %v, want none saved", list.Items)
	}

	draft.Template = "${row.city"
	bad := g.call("POST", "/api/v1/items/test", adminToken, draft)
	if bad.status != http.StatusBadRequest {
		t.Errorf("draft with a broken template: status %d, want 400: %s", bad.status, bad.body)
	}
}

func TestItemTesterUsesGivenDependency(t *testing.T) {
	g := newGraphAPI(t)
	bodies := chainItemBodies()
	g.createItem(bodies[0])
	department := g.createItem(bodies[1])

	// Oliver Bennett's ID, given as a sample value of "Reporter id".
	const oliverID = "95d9fef9-c71d-4d9d-8fed-176e341d4f4b"
	tc := amelieContext()
	tc.Items = map[string]fieldlink.ItemResult{"Reporter id": {Values: []string{oliverID}, Text: oliverID, Rows: 1}}

	before := g.graph.Requests()
	r := g.call("POST", "/api/v1/items/"+department.ID+"/test", adminToken, ItemTestBody{Context: tc})
	if r.status != http.StatusOK {
		t.Fatalf("test: %d %s", r.status, r.body)
	}
	report := decodeBody[TraceBody](t, r)

	if report.Result.Text != "Engineering" {
		t.Errorf("text = %q, want Oliver's department Engineering (error %q)", report.Result.Text, report.Error)
	}
	if got := g.graph.Requests() - before; got != 1 {
		t.Errorf("Graph received %d requests, want 1: the given dependency is not looked up", got)
	}
	if got := report.Dependencies["Reporter id"].Text; got != oliverID {
		t.Errorf("dependency shown = %q, want the given %q", got, oliverID)
	}
}
