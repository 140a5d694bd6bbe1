package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// benchRun is one result line of `go test -bench`: the benchmark's full name
// without the GOMAXPROCS suffix, its iterations and every "value unit"
// pair, in the order printed.
type benchRun struct {
	name       string
	procs      int
	iterations int64
	metrics    []metric
}

// metric is one "value unit" pair of a result line.
type metric struct {
	value float64
	unit  string
}

// result gathers the runs of one benchmark (one -count each) and the
// values of each unit over them.
type result struct {
	name   string
	procs  int
	runs   int
	units  []string
	values map[string][]float64
}

// family returns the top-level benchmark, such as "BenchmarkTicketThroughput".
func (r *result) family() string {
	family, _, _ := strings.Cut(r.name, "/")
	return family
}

// parameters returns the sub-benchmark path, such as
// "db=sqlite/delay=0ms", or "" for a benchmark without sub-benchmarks.
func (r *result) parameters() string {
	_, params, _ := strings.Cut(r.name, "/")
	return params
}

// median returns the median of the unit's values and whether there are
// any.
func (r *result) median(unit string) (float64, bool) {
	values := slices.Clone(r.values[unit])
	if len(values) == 0 {
		return 0, false
	}
	sort.Float64s(values)
	n := len(values)
	if n%2 == 1 {
		return values[n/2], true
	}
	return (values[n/2-1] + values[n/2]) / 2, true
}

// spread returns the smallest and largest of the unit's values.
func (r *result) spread(unit string) (lowest, highest float64) {
	values := r.values[unit]
	return slices.Min(values), slices.Max(values)
}

// parseRuns reads `go test -bench` output and returns its result lines.
// Other lines (goos, pkg, PASS, log output) are skipped, and so is a
// result line that does not parse, which is reported in skipped.
func parseRuns(r io.Reader) (runs []benchRun, skipped []string, err error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		// A benchmark that logs, or has sub-benchmarks in -v output, gets
		// a line with its name alone; its results come on a later line.
		if !strings.HasPrefix(line, "Benchmark") || len(strings.Fields(line)) < 2 {
			continue
		}
		parsed, err := parseRun(line)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%q: %v", line, err))
			continue
		}
		runs = append(runs, parsed)
	}
	if err := scanner.Err(); err != nil {
		return nil, nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return runs, skipped, nil
}

// parseRun parses a line such as
//
//	BenchmarkX/db=sqlite-2   1   52.14 intake-p99-ms   913.0 intake-req/s
func parseRun(line string) (benchRun, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return benchRun{}, fmt.Errorf("no iteration count")
	}

	name, procs := splitProcs(fields[0])
	iterations, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return benchRun{}, fmt.Errorf("iteration count %q is not a number", fields[1])
	}

	pairs := fields[2:]
	if len(pairs)%2 != 0 {
		return benchRun{}, fmt.Errorf("%d fields after the iteration count, want value and unit pairs", len(pairs))
	}
	out := benchRun{name: name, procs: procs, iterations: iterations}
	for i := 0; i < len(pairs); i += 2 {
		value, err := strconv.ParseFloat(pairs[i], 64)
		if err != nil {
			return benchRun{}, fmt.Errorf("value %q of unit %q is not a number", pairs[i], pairs[i+1])
		}
		out.metrics = append(out.metrics, metric{value: value, unit: pairs[i+1]})
	}
	return out, nil
}

// splitProcs splits the "-N" GOMAXPROCS suffix that `go test` appends to a
// benchmark name when N is not 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name, 1
	}
	procs, err := strconv.Atoi(name[i+1:])
	if err != nil || procs <= 0 {
		return name, 1
	}
	return name[:i], procs
}

// gather groups runs by benchmark name, in the order the names first
// appear.
func gather(runs []benchRun) []*result {
	var results []*result
	byName := map[string]*result{}
	for _, r := range runs {
		res, ok := byName[r.name]
		if !ok {
			res = &result{name: r.name, procs: r.procs, values: map[string][]float64{}}
			byName[r.name] = res
			results = append(results, res)
		}
		res.runs++
		for _, m := range r.metrics {
			if _, seen := res.values[m.unit]; !seen {
				res.units = append(res.units, m.unit)
			}
			res.values[m.unit] = append(res.values[m.unit], m.value)
		}
	}
	return results
}
