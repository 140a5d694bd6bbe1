package httpapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
)

// MaxTraceRows is the number of selected rows the item tester shows; the
// report gives the total as well.
const MaxTraceRows = 100

// ItemTestBody is the request of POST /api/v1/items/{id}/test.
type ItemTestBody struct {
	Context fieldlink.TicketContext `json:"context"`
}

// DraftItemTestBody is the request of POST /api/v1/items/test: an item that
// need not be saved, and the sample context to test it with.
type DraftItemTestBody struct {
	ItemBody
	Context fieldlink.TicketContext `json:"context"`
}

// TraceBody is the item tester's report: each request sent, the rows
// selected and the result. Error is set when the evaluation failed, and the
// report still contains every step before the failure.
type TraceBody struct {
	Requests []TracedRequestBody `json:"requests"`

	// ProcessingMS is the time spent selecting rows and rendering
	// templates, in milliseconds.
	ProcessingMS int64 `json:"processingMs"`

	// Rows are the first MaxTraceRows selected rows; RowsTotal counts them
	// all.
	Rows      []any `json:"rows"`
	RowsTotal int   `json:"rowsTotal"`

	Result fieldlink.ItemResult `json:"result"`

	// Dependencies are the results of the items this one refers to, by
	// name: those the context gives, and the others evaluated normally
	// (with the cache) before the traced one.
	Dependencies map[string]fieldlink.ItemResult `json:"dependencies,omitempty"`

	Error string `json:"error,omitempty"`
}

// TracedRequestBody is one upstream request of an item test, one per page.
type TracedRequestBody struct {
	Method string `json:"method"`
	// URL is the full request URL, with query values that look like
	// secrets redacted.
	URL string `json:"url"`
	// Headers are the item's own request headers, rendered; the
	// datasource's headers and credentials are left out.
	Headers map[string]string        `json:"headers,omitempty"`
	Body    string                   `json:"body,omitempty"`
	Status  int                      `json:"status,omitempty"`
	Timings fieldlink.RequestTimings `json:"timings"`
	// Response is the raw response body, cut at 64 KiB when
	// ResponseTruncated is true.
	Response          string `json:"response"`
	ResponseTruncated bool   `json:"responseTruncated,omitempty"`
}

// testItem traces a stored item for a sample context.
func (s *Server) testItem(w http.ResponseWriter, r *http.Request) {
	it, err := s.opts.Store.FindItem(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body ItemTestBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}

	report, err := s.traceItem(r.Context(), it, body.Context)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}

// testDraftItem traces an item that is not saved, so an admin can try a
// change before saving it.
func (s *Server) testDraftItem(w http.ResponseWriter, r *http.Request) {
	var body DraftItemTestBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}

	it := itemFromBody(body.ItemBody)
	if it.Name == "" {
		it.Name = "draft"
	}
	if err := s.validateItem(r.Context(), it); err != nil {
		s.writeError(w, r, err)
		return
	}

	// The draft takes the place of the stored item with its ID, so that
	// testing a change to a saved item checks the graph it would make.
	it.ID = body.ID
	if err := s.checkItemDependencies(r.Context(), it); err != nil {
		s.writeError(w, r, err)
		return
	}
	it.ID = ""

	report, err := s.traceItem(r.Context(), it, body.Context)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}

// traceItem evaluates the items that it depends on, then traces it with
// their results. A failed evaluation is reported inside the TraceBody; the
// error is for failures to read the configuration.
func (s *Server) traceItem(ctx context.Context, it fieldlink.Item, tc fieldlink.TicketContext) (TraceBody, error) {
	ds, err := s.opts.Store.FindDatasource(ctx, it.DatasourceID)
	if err != nil {
		return TraceBody{}, err
	}

	report := TraceBody{Requests: []TracedRequestBody{}, Rows: []any{}, Result: fieldlink.ItemResult{Values: []string{}}}
	deps, err := s.evaluateDependencies(ctx, it, tc)
	report.Dependencies = deps
	if err != nil {
		report.Error = err.Error()
		s.log.Info("item test failed", "item", it.ID, "name", it.Name, "error", err)
		return report, nil
	}
	tc.Items = deps

	trace, err := s.opts.Items.Trace(ctx, it, ds, tc)
	report.fill(trace)
	if err != nil && report.Error == "" {
		report.Error = err.Error()
	}
	if report.Error != "" {
		s.log.Info("item test failed", "item", it.ID, "name", it.Name, "error", report.Error)
	} else {
		s.log.Info("item tested", "item", it.ID, "name", it.Name, "requests", len(trace.Requests), "values", len(trace.Result.Values))
	}
	return report, nil
}

// evaluateDependencies evaluates the items that it refers to, each with its
// own dependencies and the cache, and returns their results by name. A
// result that tc.Items already has is used as given, which lets an admin try
// an item with sample values of its dependencies.
func (s *Server) evaluateDependencies(ctx context.Context, it fieldlink.Item, tc fieldlink.TicketContext) (map[string]fieldlink.ItemResult, error) {
	names, err := item.Dependencies(it)
	if err != nil {
		return nil, fmt.Errorf("read the item names that item %q refers to: %w", it.Name, err)
	}

	resolver := storeResolver{s.opts.Store}
	results := maps.Clone(tc.Items)
	if results == nil {
		results = make(map[string]fieldlink.ItemResult, len(names))
	}
	for _, name := range names {
		if _, ok := results[name]; ok {
			continue
		}
		dep, err := resolver.ItemByName(ctx, name)
		if err != nil {
			return results, fmt.Errorf("dependency %q: %w", name, err)
		}

		// Results found so far are passed on, so that an item that two
		// dependencies share is evaluated once.
		depContext := tc
		depContext.Items = results
		result, err := s.opts.Items.EvaluateWithDependencies(ctx, dep, resolver, depContext)
		if err != nil {
			return results, fmt.Errorf("dependency %q: %w", name, err)
		}
		if result.Values == nil {
			result.Values = []string{}
		}
		results[name] = result
	}
	return results, nil
}

// fill copies trace into the report, keeping at most MaxTraceRows rows.
func (b *TraceBody) fill(trace item.Trace) {
	for _, req := range trace.Requests {
		b.Requests = append(b.Requests, TracedRequestBody{
			Method:            req.Method,
			URL:               req.URL,
			Headers:           req.Headers,
			Body:              req.Body,
			Status:            req.Status,
			Timings:           req.Timings,
			Response:          req.Response,
			ResponseTruncated: req.ResponseTruncated,
		})
	}

	b.ProcessingMS = trace.ProcessingMS
	b.RowsTotal = len(trace.Rows)
	if len(trace.Rows) > MaxTraceRows {
		b.Rows = trace.Rows[:MaxTraceRows]
	} else if trace.Rows != nil {
		b.Rows = trace.Rows
	}

	b.Result = trace.Result
	if b.Result.Values == nil {
		b.Result.Values = []string{}
	}
	b.Error = trace.Error
}
