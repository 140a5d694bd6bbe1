package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// document is docs/benchmarks.md for one run, compared with an earlier one
// when before is set.
type document struct {
	latest *runOutput
	before *runOutput
	// profiles is the folder of pprof outputs that bench/run wrote for the
	// families that missed a target, or "".
	profiles string
	machine  machine
	written  time.Time
}

// markdown renders the document.
func (d *document) markdown() string {
	var b strings.Builder
	d.writeIntro(&b)
	d.writeMachine(&b)
	d.writeCommands(&b)
	d.writeResults(&b)
	d.writeReadings(&b)
	if d.before != nil {
		d.writeComparison(&b)
	}
	d.writeGaps(&b)
	d.writeMethod(&b)
	return b.String()
}

func (d *document) writeIntro(b *strings.Builder) {
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("fieldlink's benchmarks compare it with what a user would do without it, on one machine, against the\n")
	b.WriteString("built-in emulators of Entra ID, Microsoft Graph and Jira Cloud on loopback. `bench/run` runs them and\n")
	b.WriteString("writes this page with `go run ./bench/report`; every figure here comes from the run it describes, and\n")
	b.WriteString("the figures under \"Before and after\" from the earlier run named there. Each figure is the median over\n")
	b.WriteString("the runs of a benchmark, with the lowest and highest value in brackets when it ran more than once.\n\n")
}

func (d *document) writeMachine(b *strings.Builder) {
	m := d.machine
	started := d.latest.header["started"]
	if started == "" {
		started = "not recorded; the report was written " + d.written.UTC().Format("2006-01-02 15:04 MST")
	}

	b.WriteString("## Machine\n\n")
	fmt.Fprintf(b, "| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Run started | %s |\n", started)
	fmt.Fprintf(b, "| CPU | %s, %d logical CPUs |\n", m.cpu, m.cpus)
	fmt.Fprintf(b, "| Memory | %s |\n", m.memory)
	fmt.Fprintf(b, "| OS | %s, %s |\n", m.os, m.kernel)
	fmt.Fprintf(b, "| Go | %s |\n", m.goVersion)
	fmt.Fprintf(b, "| PostgreSQL | %s |\n", m.postgreSQL)
	if commit := d.latest.header["commit"]; commit != "" {
		fmt.Fprintf(b, "| Commit | %s |\n", commit)
	}
	b.WriteString("\n")
}

func (d *document) writeCommands(b *strings.Builder) {
	b.WriteString("## Commands\n\n")
	b.WriteString("```sh\n")
	b.WriteString("bench/run          # the full run that produced this page\n")
	b.WriteString("bench/run quick    # one short run of each benchmark, to check that they work\n")
	b.WriteString("```\n\n")
	if command := d.latest.header["command"]; command != "" {
		b.WriteString("`bench/run` ran:\n\n```sh\n")
		b.WriteString(command + "\n")
		fmt.Fprintf(b, "go run ./bench/report -in %s", d.latest.path)
		if d.before != nil {
			fmt.Fprintf(b, " -before %s", d.before.path)
		}
		b.WriteString(" -out docs/benchmarks.md\n```\n\n")
	}
	fmt.Fprintf(b, "The raw output is in `%s`.\n\n", d.latest.path)
}

func (d *document) writeResults(b *strings.Builder) {
	b.WriteString("## Results\n\n")
	b.WriteString("| Benchmark | Parameters | Figures | Target | Met |\n|---|---|---|---|---|\n")
	for _, res := range d.latest.results {
		var figures []string
		for _, unit := range res.units {
			if unit == "ns/op" {
				continue
			}
			figures = append(figures, figure(res, unit))
		}

		verdicts := judge(res)
		targetText, metText := "", ""
		if len(verdicts) > 0 {
			var ts, ms []string
			for _, v := range verdicts {
				ts = append(ts, "`"+v.target.String()+"`")
				ms = append(ms, metWord(v))
			}
			targetText, metText = strings.Join(ts, "<br>"), strings.Join(ms, "<br>")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", res.family(), res.parameters(), strings.Join(figures, "<br>"), targetText, metText)
	}
	b.WriteString("\n")
}

// figure renders the unit and its value.
func figure(res *result, unit string) string {
	return unit + " " + value(res, unit)
}

// value renders the unit's median, with the spread over several runs.
func value(res *result, unit string) string {
	median, _ := res.median(unit)
	text := formatValue(median)
	if len(res.values[unit]) > 1 {
		lowest, highest := res.spread(unit)
		text += " (" + formatValue(lowest) + "–" + formatValue(highest) + ")"
	}
	return text
}

func (d *document) writeReadings(b *strings.Builder) {
	b.WriteString("## Reading the results\n\n")
	for _, family := range families(d.latest.results) {
		results := ofFamily(d.latest.results, family)
		read, ok := readings[family]
		if !ok {
			read = genericReading
		}
		r := read(results)
		fmt.Fprintf(b, "**%s.** %s\n\n", family, r.intro)
		for _, line := range r.lines {
			fmt.Fprintf(b, "- %s\n", line)
		}
		b.WriteString("\n")
	}
}

func (d *document) writeComparison(b *strings.Builder) {
	b.WriteString("## Before and after\n\n")
	fmt.Fprintf(b, "The earlier run is `%s`", d.before.path)
	if commit := d.before.header["commit"]; commit != "" {
		fmt.Fprintf(b, ", at commit %s", commit)
	}
	if started := d.before.header["started"]; started != "" {
		fmt.Fprintf(b, ", started %s", started)
	}
	b.WriteString(". It shows each figure that has a target, for the benchmarks both runs have.\n\n")
	if note := d.before.header["note"]; note != "" {
		b.WriteString(note + "\n\n")
	}

	b.WriteString("| Benchmark | Parameters | Unit | Target | Before | After |\n|---|---|---|---|---|---|\n")
	for _, after := range d.latest.results {
		earlier := findResult(d.before.results, after.name)
		if earlier == nil {
			continue
		}
		for _, v := range judge(after) {
			if _, ok := earlier.median(v.target.unit); !ok || !v.measured {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | `%s` | %s | %s |\n", after.family(), after.parameters(), v.target.unit,
				v.target.String(), value(earlier, v.target.unit), value(after, v.target.unit))
		}
	}
	b.WriteString("\n")
	if changes := d.before.header["changes"]; changes != "" {
		b.WriteString(changes + "\n\n")
	}
}

func (d *document) writeMethod(b *strings.Builder) {
	b.WriteString("## How the benchmarks measure\n\n")
	for _, family := range families(d.latest.results) {
		if text, ok := methods[family]; ok {
			fmt.Fprintf(b, "**%s.** %s\n\n", family, text)
		}
	}
	b.WriteString("All benchmarks run in one process with the emulators, and the server benchmarks with their load\n")
	b.WriteString("generators too, so every part shares the machine's CPUs with the others. The figures depend on the\n")
	b.WriteString("machine and on what else it runs at the time.\n")
}

// families returns the top-level benchmarks in the order they first appear.
func families(results []*result) []string {
	var out []string
	for _, res := range results {
		if !slices.Contains(out, res.family()) {
			out = append(out, res.family())
		}
	}
	return out
}

func ofFamily(results []*result, family string) []*result {
	var out []*result
	for _, res := range results {
		if res.family() == family {
			out = append(out, res)
		}
	}
	return out
}

func findResult(results []*result, name string) *result {
	for _, res := range results {
		if res.name == name {
			return res
		}
	}
	return nil
}
