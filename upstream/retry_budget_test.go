package upstream_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

func TestDoKeepsCauseWhenBudgetEnds(t *testing.T) {
	// Every response takes 200 ms, and the first is a 429 whose
	// Retry-After leaves 50 ms of the 60 s budget, so the retry runs out
	// of time before Graph responds.
	api := graph.New(graph.Options{Users: graph.SampleDirectory(), Latency: 200 * time.Millisecond})
	server := httptest.NewServer(api)
	t.Cleanup(server.Close)
	api.ThrottleNext(1, "59.95")
	out := outbound.New(outbound.Options{AllowLoopback: true})
	client := upstream.New(out, credential.NewCache(out.For, nil), slog.New(slog.DiscardHandler), upstream.WithClock(newFakeClock()))
	ds := fieldlink.Datasource{ID: "ds-graph", BaseURL: server.URL + "/v1.0", TimeoutSeconds: 30,
		Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: bearerToken}}

	resp, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: firstUserPath()})

	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do error = %v, want the 429 that came before the retry ran out of time", err)
	}
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want the 429", resp.Status)
	}
	if got := api.Requests(); got != 2 {
		t.Errorf("Graph received %d requests, want 2", got)
	}
}

func TestDoRetriesTimeoutWithinBudget(t *testing.T) {
	// A retry that has the datasource's whole timeout and still times out
	// is the API's own timeout, which Do reports as it is.
	api := graph.New(graph.Options{Users: graph.SampleDirectory(), Latency: 2 * time.Second})
	server := httptest.NewServer(api)
	t.Cleanup(server.Close)
	out := outbound.New(outbound.Options{AllowLoopback: true})
	client := upstream.New(out, credential.NewCache(out.For, nil), slog.New(slog.DiscardHandler), upstream.WithClock(instantClock{}))
	ds := fieldlink.Datasource{ID: "ds-graph", BaseURL: server.URL + "/v1.0", TimeoutSeconds: 1,
		Auth: fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: bearerToken}}

	_, err := client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: firstUserPath()})

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do error = %v, want the timeout", err)
	}
}
