package bench

import (
	"flag"
	"math"
	"strconv"
	"testing"
	"time"
)

// TestServerBenchmarksRunBriefly runs BenchmarkAPICachedLookup and every
// case of BenchmarkTicketThroughput once at small sizes and checks the
// figures they report. The benchmarks check their own responses and Jira
// edits, so a wrong result fails them here too.
func TestServerBenchmarksRunBriefly(t *testing.T) {
	full := serverSizes
	t.Cleanup(func() { serverSizes = full })
	serverSizes.reporters = 8
	serverSizes.loadDuration = 150 * time.Millisecond
	serverSizes.tickets = 24
	serverSizes.senders = 4

	t.Run("api", func(t *testing.T) {
		result := runServerBenchmarkOnce(t, func(b *testing.B) {
			fl := startBenchServer(b, benchServerOptions{Reporters: serverSizes.reporters})
			lookup := newCachedLookup(b, fl)
			baselineURL := serveBaseline(b, lookup.contentType, lookup.responses[0])
			benchmarkCachedLookup(b, fl, lookup, baselineURL, apiConcurrencies[0])
		})

		fieldlink := positiveMetric(t, result, "fieldlink-req/s")
		baseline := positiveMetric(t, result, "baseline-req/s")
		share := positiveMetric(t, result, "throughput-share")
		if math.Abs(share-fieldlink/baseline) > 1e-9*share {
			t.Errorf("throughput-share = %g, want fieldlink-req/s / baseline-req/s = %g", share, fieldlink/baseline)
		}
		positiveMetric(t, result, "fieldlink-p99-ms")
		positiveMetric(t, result, "baseline-p99-ms")
	})

	for _, c := range ticketCases() {
		t.Run("tickets/"+c.name(), func(t *testing.T) {
			result := runServerBenchmarkOnce(t, func(b *testing.B) {
				benchmarkTickets(b, startTicketServer(b, c))
			})

			positiveMetric(t, result, "tickets/s")
			positiveMetric(t, result, "intake-req/s")
			positiveMetric(t, result, "intake-p99-ms")
		})
	}
}

// runServerBenchmarkOnce runs f once through testing.Benchmark, as
// -benchtime 1x does, and fails t when f failed. testing.Benchmark discards
// the benchmark's messages, so the failure names the command that shows
// them.
func runServerBenchmarkOnce(t *testing.T, f func(b *testing.B)) testing.BenchmarkResult {
	t.Helper()
	benchtime := flag.Lookup("test.benchtime")
	previous := benchtime.Value.String()
	if err := benchtime.Value.Set("1x"); err != nil {
		t.Fatalf("set -test.benchtime: %v", err)
	}
	defer benchtime.Value.Set(previous)

	result := testing.Benchmark(f)
	if result.N != 1 {
		t.Fatalf("the benchmark failed (it ran %d times): run it alone with go test -run '^$' -bench NAME -benchtime 1x ./bench/ to see why", result.N)
	}
	return result
}

// positiveMetric returns the metric with the unit and fails t unless it was
// reported as a positive, finite number.
func positiveMetric(t *testing.T, result testing.BenchmarkResult, unit string) float64 {
	t.Helper()
	v, ok := result.Extra[unit]
	if !ok {
		t.Errorf("no %s reported; got %v", unit, result.Extra)
		return 0
	}
	if !(v > 0) || math.IsInf(v, 0) {
		t.Errorf("%s = %s, want a positive number", unit, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return v
}
