package main

import (
	"fmt"
	"strings"
)

// reading is the text about a family's results: a sentence about the
// family and one line per benchmark. Each number in it comes from the results.
type reading struct {
	intro string
	lines []string
}

// readings read each family's figures; a family without one gets
// genericReading.
var readings = map[string]func([]*result) reading{
	"BenchmarkLookupOverhead":             readLookupOverhead,
	"BenchmarkNaiveScriptVersusFieldlink": readNaiveScript,
	"BenchmarkColdTokenRequests":          readColdTokens,
	"BenchmarkMemoryResident":             readMemory,
	"BenchmarkAPICachedLookup":            readAPICachedLookup,
	"BenchmarkTicketThroughput":           readTicketThroughput,
}

// methods describe how each family measures, and what its figures leave
// out.
var methods = map[string]string{
	"BenchmarkLookupOverhead": "An uncached item evaluation in process is compared with the direct call a Go " +
		"programmer would write for the same lookup: a token from golang.org/x/oauth2/clientcredentials, a GET with " +
		"net/http and the field decoded with encoding/json. Both read one user's officeLocation from the Graph " +
		"emulator, which checks each token, and they take turns in batches. ratio is fieldlink's median over the " +
		"direct call's.",
	"BenchmarkNaiveScriptVersusFieldlink": "The same tickets are handled by a script that fetches a token and then " +
		"calls Graph for every ticket, and by fieldlink's item engine with its token cache and result cache, empty " +
		"at the start of each round. The requests are counted at the emulators; reduction-x is the script's " +
		"requests over fieldlink's.",
	"BenchmarkColdTokenRequests": "Lookups for different reporters start at once on a datasource that has never " +
		"fetched a token. token-requests counts the requests the Entra emulator received.",
	"BenchmarkMemoryResident": "Datasources and items are stored in an SQLite file and every item is evaluated for " +
		"enough reporters to fill the result cache; rss-mib is the process's resident size (VmRSS) afterwards. " +
		"cache=default keeps the engine's default number of results, the other case a cache sized for every " +
		"lookup.",
	"BenchmarkAPICachedLookup": "The item's results for every reporter are cached first. Then a load generator in the " +
		"benchmark's process sends `POST /api/v1/items/{id}/evaluate` with an admin API token from a fixed number of " +
		"clients for a fixed time, each client waiting for its response before the next request. A plain `net/http` " +
		"handler that reads the request and returns the same JSON bytes with the same content type is driven the " +
		"same way, in slices that alternate with fieldlink's, so that other load on the machine hits both alike. " +
		"Every response is compared with the expected bytes. The load generator shares the two CPUs with the " +
		"server it measures, so both figures are lower than a client on another machine would see; the share " +
		"compares two servers under the same handicap.",
	"BenchmarkTicketThroughput": "The Jira emulator builds and signs each `jira:issue_created` webhook (X-Hub-Signature, " +
		"X-Atlassian-Webhook-Identifier) as Jira Cloud does, and the benchmark sends those requests to the hook from " +
		"concurrent senders as fast as fieldlink answers, timing each from send to `202 Accepted`. fieldlink " +
		"answers 202 only after the event row and its job are committed. Each ticket's reporter is looked up in " +
		"the Graph emulator through the item (cached per reporter), a rule per office sets two " +
		"select fields, and fieldlink reads the edit screen and then edits the issue. tickets/s counts from the " +
		"first send to the last edit the Jira emulator accepted. The `jira:issue_updated` webhooks that the edits " +
		"cause are not sent to fieldlink, as a Jira webhook registered for created issues only would not send " +
		"them. delay is the latency the Graph and Jira emulators add to every response.",
}

func readLookupOverhead(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: fieldlink %s µs, direct %s µs, ratio %s (%s)",
			res.parameters(), med(res, "fieldlink-median-us"), med(res, "direct-median-us"), med(res, "ratio"), verdictText(res)))
	}
	return reading{intro: "Median latency of an uncached evaluation against the direct call.", lines: parts}
}

func readNaiveScript(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: the script sent %s upstream requests (%s token, %s Graph) in %s ms, fieldlink %s (%s token, %s Graph) in %s ms, %s times fewer (%s)",
			res.parameters(), med(res, "naive-upstream-requests"), med(res, "naive-token-requests"), med(res, "naive-graph-requests"), med(res, "naive-total-ms"),
			med(res, "fieldlink-upstream-requests"), med(res, "fieldlink-token-requests"), med(res, "fieldlink-graph-requests"), med(res, "fieldlink-total-ms"),
			med(res, "reduction-x"), verdictText(res)))
	}
	return reading{intro: "Upstream requests and total time for the same tickets, the naive script against fieldlink.", lines: parts}
}

func readColdTokens(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: %s token request(s) and %s Graph requests, the last lookup done after %s ms (%s)",
			res.parameters(), med(res, "token-requests"), med(res, "graph-requests"), med(res, "total-ms"), verdictText(res)))
	}
	return reading{intro: "Lookups started at once on a datasource without a token.", lines: parts}
}

func readMemory(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: resident %s MiB (%s MiB before filling the cache), live heap %s MiB, %s cached results (%s)",
			res.parameters(), med(res, "rss-mib"), med(res, "rss-before-mib"), med(res, "heap-mib"), med(res, "cached-entries"), verdictText(res)))
	}
	return reading{intro: "Resident size of a process with the configuration and cache stored.", lines: parts}
}

func readAPICachedLookup(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: fieldlink %s requests/s with p99 %s ms, the plain handler %s requests/s with p99 %s ms, a share of %s (%s)",
			res.parameters(), med(res, "fieldlink-req/s"), med(res, "fieldlink-p99-ms"), med(res, "baseline-req/s"), med(res, "baseline-p99-ms"),
			med(res, "throughput-share"), verdictText(res)))
	}
	return reading{intro: "Cached lookups through the REST API against a plain handler.", lines: parts}
}

func readTicketThroughput(results []*result) reading {
	var parts []string
	for _, res := range results {
		parts = append(parts, fmt.Sprintf("%s: %s tickets/s end to end, webhooks answered at %s per second with p99 %s ms (%s)",
			res.parameters(), med(res, "tickets/s"), med(res, "intake-req/s"), med(res, "intake-p99-ms"), verdictText(res)))
	}
	return reading{intro: "Signed webhooks in, field updates out.", lines: parts}
}

// genericReading lists the figures of a family that has no reading of its
// own.
func genericReading(results []*result) reading {
	var parts []string
	for _, res := range results {
		var figures []string
		for _, unit := range res.units {
			if unit != "ns/op" {
				figures = append(figures, unit+" "+med(res, unit))
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %s (%s)", orDash(res.parameters()), strings.Join(figures, ", "), verdictText(res)))
	}
	return reading{intro: "Figures of a benchmark without a reading of its own.", lines: parts}
}

// med returns the unit's median as text, or "n/a" when the benchmark did not
// report it.
func med(res *result, unit string) string {
	v, ok := res.median(unit)
	if !ok {
		return "n/a"
	}
	return formatValue(v)
}

// verdictText lists which targets the benchmark met and missed.
func verdictText(res *result) string {
	verdicts := judge(res)
	if len(verdicts) == 0 {
		return "no target"
	}
	var parts []string
	for _, v := range verdicts {
		switch {
		case !v.measured:
			parts = append(parts, fmt.Sprintf("%s not measured", v.target.unit))
		case v.met:
			parts = append(parts, fmt.Sprintf("meets %s", v.target))
		default:
			parts = append(parts, fmt.Sprintf("misses %s", v.target))
		}
	}
	return strings.Join(parts, ", ")
}
