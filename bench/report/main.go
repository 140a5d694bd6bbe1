// Command report reads the output of fieldlink's benchmarks (`go test
// -bench ./bench/`) and prints a table of every benchmark with its figures
// and the targets it must meet. It also writes docs/benchmarks.md with the
// machine, the commands, the table and a reading of each result, and, given
// an earlier run, the figures before and after.
//
// It reads any benchmark generically, by the units of its "value unit"
// pairs; the targets are the table in targets.go, keyed by benchmark name
// prefix and unit. bench/run runs the benchmarks and then this command:
//
//	go run ./bench/report -in bench/results/latest.txt -before bench/results/before.txt -out docs/benchmarks.md
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// runOutput is one benchmark output file: its results and the header lines
// bench/run wrote at its top.
type runOutput struct {
	path    string
	results []*result
	header  map[string]string
	skipped []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("report", flag.ContinueOnError)
	flags.SetOutput(stderr)
	in := flags.String("in", "bench/results/latest.txt", "benchmark output to report on")
	before := flags.String("before", "", "benchmark output of an earlier run to compare with; empty leaves the comparison out")
	out := flags.String("out", "docs/benchmarks.md", "Markdown file to write; empty writes none")
	missed := flags.Bool("missed", false, "print only the benchmark families that miss a target, one per line, for bench/run to profile")
	profiles := flags.String("profiles", "", "folder of pprof -top -cum outputs named after benchmark families, shown for the families that miss a target")
	if err := flags.Parse(args); err != nil {
		return err
	}

	latest, err := readOutput(*in)
	if err != nil {
		return err
	}
	if len(latest.results) == 0 {
		return fmt.Errorf("%s contains no benchmark results: run bench/run, or run go test -run '^$' -bench . ./bench/ and save its output there", *in)
	}
	for _, s := range latest.skipped {
		fmt.Fprintf(stderr, "report: skipped a line of %s that is not a result: %s\n", *in, s)
	}

	if *missed {
		for _, family := range missedFamilies(latest.results) {
			fmt.Fprintln(stdout, family)
		}
		return nil
	}

	var earlier *runOutput
	if *before != "" {
		if earlier, err = readOutput(*before); err != nil {
			return err
		}
	}

	printTable(stdout, latest.results)
	if *out == "" {
		return nil
	}

	doc := &document{latest: latest, before: earlier, profiles: *profiles, machine: describeMachine(ctx), written: time.Now()}
	if err := os.WriteFile(*out, []byte(doc.markdown()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", *out)
	return nil
}

// readOutput parses a benchmark output file. Lines of the form
// "# key: value" at its top, which bench/run writes, become its header.
func readOutput(path string) (*runOutput, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: run bench/run first, or name the benchmark output with -in", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()

	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}

	header := map[string]string{}
	scanner := bufio.NewScanner(strings.NewReader(string(data)))
	for scanner.Scan() {
		line, ok := strings.CutPrefix(scanner.Text(), "# ")
		if !ok {
			break
		}
		if key, value, ok := strings.Cut(line, ": "); ok {
			header[key] = value
		}
	}

	runs, skipped, err := parseRuns(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &runOutput{path: path, results: gather(runs), header: header, skipped: skipped}, nil
}

// printTable prints one row per benchmark: its parameters, the median of
// every unit, and each target with whether it is met.
func printTable(w io.Writer, results []*result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tPARAMETERS\tFIGURES (median)\tTARGET\tMET")
	for _, res := range results {
		figures := make([]string, 0, len(res.units))
		for _, unit := range res.units {
			if unit == "ns/op" {
				continue
			}
			median, _ := res.median(unit)
			figures = append(figures, formatValue(median)+" "+unit)
		}

		verdicts := judge(res)
		targetText, metText := "-", "-"
		if len(verdicts) > 0 {
			var ts, ms []string
			for _, v := range verdicts {
				ts = append(ts, v.target.String())
				ms = append(ms, metWord(v))
			}
			targetText, metText = strings.Join(ts, ", "), strings.Join(ms, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.family(), orDash(res.parameters()), strings.Join(figures, ", "), targetText, metText)
	}
	tw.Flush()
}

// missedFamilies returns the families with a benchmark that misses a
// target, in the order they first appear.
func missedFamilies(results []*result) []string {
	var out []string
	for _, res := range results {
		for _, v := range judge(res) {
			if !v.met && !slices.Contains(out, res.family()) {
				out = append(out, res.family())
			}
		}
	}
	return out
}

// metWord returns "yes", "no", or "not measured" for a unit the benchmark
// did not report.
func metWord(v verdict) string {
	switch {
	case !v.measured:
		return "not measured"
	case v.met:
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatValue prints v with three significant digits, and numbers from 100
// up without a fraction.
func formatValue(v float64) string {
	if math.Abs(v) >= 99.95 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
