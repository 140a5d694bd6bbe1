package bench

import (
	"flag"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

// TestLookupBenchmarksRunBriefly runs BenchmarkLookupOverhead,
// BenchmarkNaiveScriptVersusFieldlink, BenchmarkColdTokenRequests and
// BenchmarkMemoryResident once at small sizes and checks the figures they
// report. The benchmarks check every lookup's office, so a wrong result
// fails them here too.
func TestLookupBenchmarksRunBriefly(t *testing.T) {
	full := lookupSizes
	t.Cleanup(func() { lookupSizes = full })
	lookupSizes.overheadSamples = 64
	lookupSizes.overheadSamplesPerWorker = 16
	lookupSizes.overheadDirectory = 128
	lookupSizes.tickets = 40
	lookupSizes.reporters = 10
	lookupSizes.coldLookups = 50
	lookupSizes.datasources = 10
	lookupSizes.items = 10
	lookupSizes.cachedLookups = 200

	for _, delay := range lookupDelays {
		concurrency := lookupConcurrencies[1]
		t.Run(fmt.Sprintf("overhead/delay=%dms/concurrency=%d", delay.Milliseconds(), concurrency), func(t *testing.T) {
			result := runLookupBenchmarkOnce(t, func(b *testing.B) {
				up := startLookupUpstream(b, lookupSizes.overheadDirectory, delay)
				benchmarkLookupOverhead(b, newOverheadArms(b, up), concurrency)
			})

			fieldlink := lookupMetric(t, result, "fieldlink-median-us")
			direct := lookupMetric(t, result, "direct-median-us")
			lookupMetric(t, result, "fieldlink-p99-us")
			lookupMetric(t, result, "direct-p99-us")
			checkLookupRatio(t, result, "ratio", fieldlink/direct)
			if floor := float64(delay.Microseconds()); fieldlink < floor || direct < floor {
				t.Errorf("median latencies %g µs (fieldlink) and %g µs (direct) are below the emulators' delay of %g µs", fieldlink, direct, floor)
			}
		})
	}

	t.Run("naive", func(t *testing.T) {
		result := runLookupBenchmarkOnce(t, func(b *testing.B) { benchmarkNaiveScript(b, 0) })

		// fieldlink fetches one token and looks each reporter up once.
		reporters := distinctLookupUsers(naiveTickets(lookupDirectory(lookupSizes.reporters), lookupSizes.tickets))
		naive := float64(2 * lookupSizes.tickets)
		fieldlink := float64(1 + reporters)
		checkLookupCount(t, result, "naive-upstream-requests", naive)
		checkLookupCount(t, result, "naive-token-requests", float64(lookupSizes.tickets))
		checkLookupCount(t, result, "naive-graph-requests", float64(lookupSizes.tickets))
		checkLookupCount(t, result, "fieldlink-upstream-requests", fieldlink)
		checkLookupCount(t, result, "fieldlink-token-requests", 1)
		checkLookupCount(t, result, "fieldlink-graph-requests", float64(reporters))
		checkLookupRatio(t, result, "reduction-x", naive/fieldlink)
		lookupMetric(t, result, "naive-total-ms")
		lookupMetric(t, result, "fieldlink-total-ms")
	})

	t.Run("cold-token", func(t *testing.T) {
		result := runLookupBenchmarkOnce(t, func(b *testing.B) { benchmarkColdTokens(b, 0) })

		checkLookupCount(t, result, "token-requests", 1)
		checkLookupCount(t, result, "graph-requests", float64(lookupSizes.coldLookups))
		lookupMetric(t, result, "total-ms")
	})

	for _, maxEntries := range []int{0, lookupSizes.cachedLookups} {
		t.Run(fmt.Sprintf("memory/cache=%d", maxEntries), func(t *testing.T) {
			result := runLookupBenchmarkOnce(t, func(b *testing.B) { benchmarkMemoryResident(b, maxEntries) })

			rss := lookupMetric(t, result, "rss-mib")
			heap := lookupMetric(t, result, "heap-mib")
			lookupMetric(t, result, "rss-before-mib")
			checkLookupCount(t, result, "lookups", float64(lookupSizes.cachedLookups))
			checkLookupCount(t, result, "cached-entries", float64(lookupSizes.cachedLookups))
			if heap > rss {
				t.Errorf("heap-mib = %g is larger than rss-mib = %g", heap, rss)
			}
		})
	}
}

// runLookupBenchmarkOnce runs f once through testing.Benchmark, as
// -benchtime 1x does, and fails t when f failed. testing.Benchmark discards
// the benchmark's messages, so the failure names the command that shows
// them.
func runLookupBenchmarkOnce(t *testing.T, f func(b *testing.B)) testing.BenchmarkResult {
	t.Helper()

	benchtime := flag.Lookup("test.benchtime")
	previous := benchtime.Value.String()
	if err := benchtime.Value.Set("1x"); err != nil {
		t.Fatalf("set -test.benchtime: %v", err)
	}
	defer benchtime.Value.Set(previous)

	start := time.Now()
	result := testing.Benchmark(f)
	if result.N != 1 {
		t.Fatalf("the benchmark failed after %v: run it alone with go test -run '^$' -bench NAME -benchtime 1x ./bench/ to see why", time.Since(start).Round(time.Millisecond))
	}
	return result
}

// lookupMetric returns the metric with the unit, and fails t unless it was
// reported as a positive, finite number.
func lookupMetric(t *testing.T, result testing.BenchmarkResult, unit string) float64 {
	t.Helper()

	v, ok := result.Extra[unit]
	if !ok {
		t.Errorf("no %s reported; the benchmark reported %v", unit, result.Extra)
		return 0
	}
	if !(v > 0) || math.IsInf(v, 0) {
		t.Errorf("%s = %g, want a positive number", unit, v)
	}
	return v
}

// checkLookupCount fails t unless the metric with the unit equals want.
func checkLookupCount(t *testing.T, result testing.BenchmarkResult, unit string, want float64) {
	t.Helper()

	if got := lookupMetric(t, result, unit); got != want {
		t.Errorf("%s = %g, want %g", unit, got, want)
	}
}

// checkLookupRatio fails t unless the metric with the unit equals want to
// within rounding.
func checkLookupRatio(t *testing.T, result testing.BenchmarkResult, unit string, want float64) {
	t.Helper()

	if got := lookupMetric(t, result, unit); math.Abs(got-want) > 1e-9*want {
		t.Errorf("%s = %g, want %g", unit, got, want)
	}
}

// distinctLookupUsers returns the number of different users in users.
func distinctLookupUsers(users []graph.User) int {
	seen := make(map[string]bool)
	for _, u := range users {
		seen[u.ID] = true
	}
	return len(seen)
}
