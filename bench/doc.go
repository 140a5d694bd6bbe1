// Package bench holds fieldlink's benchmarks. They run on loopback against
// the built-in emulators (Entra ID, Graph and Jira Cloud), in one process
// with the parts of fieldlink they measure, and compare fieldlink with what
// a user would do without it:
//
//   - BenchmarkLookupOverhead: an uncached item evaluation against the
//     direct call a Go programmer would write (a token from
//     golang.org/x/oauth2/clientcredentials, a GET with net/http, the field
//     decoded with encoding/json), at 1, 16 and 256 lookups at once. It
//     reports the median latency of each and their ratio. Both keep up to
//     100 idle connections per host. The Graph emulator checks the RS256
//     signature of every token, which costs the same for both.
//   - BenchmarkNaiveScriptVersusFieldlink: 1,000 tickets from 200 reporters,
//     handled by a script that fetches a token and calls Graph for every
//     ticket, and by fieldlink with its token cache and result cache. It
//     reports the requests each makes and how many times fewer fieldlink
//     makes (reduction-x), and both total times.
//   - BenchmarkColdTokenRequests: 1,000 lookups at once on a datasource that
//     has no token yet. It reports the token requests the token endpoint
//     received.
//   - BenchmarkMemoryResident: the resident size and live heap of a process
//     that stores 1,000 datasources and 1,000 items in SQLite and caches
//     100,000 lookups.
//   - BenchmarkAPICachedLookup and BenchmarkTicketThroughput drive a running
//     server over HTTP: cached lookups through the REST API against a plain
//     net/http handler, and signed webhooks through to the Jira emulator.
//
// Every lookup benchmark runs with the emulators responding without delay,
// and again with a fixed 20ms delay per response, which stands for the round
// trip to a remote API. Results are reported with b.ReportMetric in units whose names
// end in the quantity: -us, -ms, -mib, -requests, req/s. A ratio whose target
// is a maximum is reported as "ratio".
//
// The benchmarks take minutes at full size, so the default test run leaves
// them out. TestLookupBenchmarksRunBriefly and TestServerBenchmarksRunBriefly
// run each once at small sizes and check what they report, in a few seconds.
// To run them at full size:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// or one of them, for example:
//
//	go test -run '^$' -bench 'LookupOverhead' -benchtime 1x ./bench/
//
// The emulators run in the benchmark's process and share its CPUs, so the
// figures depend on the machine and on what else it runs.
package bench
