package main

import (
	"fmt"
	"strconv"
	"strings"
)

// target is a requirement on one unit of the benchmarks whose name starts
// with prefix.
type target struct {
	prefix string
	unit   string
	// op is ">=", ">", "<=", "<" or "==".
	op    string
	value float64
}

// targets are fieldlink's performance requirements, one line per unit. A
// benchmark meets a target when the median of the unit over its runs
// satisfies it. Every target whose prefix starts the benchmark's name
// applies.
var targets = []target{
	// An uncached evaluation costs at most 10% more than the direct call a
	// Go programmer would write (ratio of the medians).
	{prefix: "BenchmarkLookupOverhead", unit: "ratio", op: "<=", value: 1.10},
	// With its token cache and result cache, fieldlink sends at least 5
	// times fewer upstream requests than a script that fetches a token and
	// calls Graph for every ticket.
	{prefix: "BenchmarkNaiveScriptVersusFieldlink", unit: "reduction-x", op: ">=", value: 5},
	// One token request per datasource and token lifetime, however many
	// lookups start at once.
	{prefix: "BenchmarkColdTokenRequests", unit: "token-requests", op: "==", value: 1},
	// Resident size with 1,000 datasources, 1,000 items and 100,000 cached
	// lookups.
	{prefix: "BenchmarkMemoryResident", unit: "rss-mib", op: "<", value: 200},
	// Cached lookups through the REST API: half the throughput of a plain
	// net/http handler returning the same bytes, and a p99 under 10 ms.
	{prefix: "BenchmarkAPICachedLookup", unit: "throughput-share", op: ">=", value: 0.5},
	{prefix: "BenchmarkAPICachedLookup", unit: "fieldlink-p99-ms", op: "<", value: 10},
	// Tickets end to end, with the 202 for a webhook sent only once it is
	// stored.
	{prefix: "BenchmarkTicketThroughput/db=sqlite", unit: "tickets/s", op: ">=", value: 200},
	{prefix: "BenchmarkTicketThroughput/db=postgres", unit: "tickets/s", op: ">=", value: 500},
	{prefix: "BenchmarkTicketThroughput", unit: "intake-p99-ms", op: "<", value: 50},
}

// targetsFor returns the targets that apply to the benchmark.
func targetsFor(name string) []target {
	var out []target
	for _, t := range targets {
		if name == t.prefix || strings.HasPrefix(name, t.prefix+"/") {
			out = append(out, t)
		}
	}
	return out
}

// met reports whether v satisfies the target.
func (t target) met(v float64) bool {
	switch t.op {
	case ">=":
		return v >= t.value
	case ">":
		return v > t.value
	case "<=":
		return v <= t.value
	case "<":
		return v < t.value
	case "==":
		return v == t.value
	}
	panic(fmt.Sprintf("target for %s %s has unknown operator %q", t.prefix, t.unit, t.op))
}

// String returns the target as "unit >= value".
func (t target) String() string {
	return t.unit + " " + t.op + " " + strconv.FormatFloat(t.value, 'g', -1, 64)
}

// verdict is the outcome of one target for one benchmark.
type verdict struct {
	target target
	// measured reports whether the benchmark reported the target's unit.
	measured bool
	median   float64
	met      bool
}

// judge checks every target that applies to res.
func judge(res *result) []verdict {
	var out []verdict
	for _, t := range targetsFor(res.name) {
		median, ok := res.median(t.unit)
		out = append(out, verdict{target: t, measured: ok, median: median, met: ok && t.met(median)})
	}
	return out
}
