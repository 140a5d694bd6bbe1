package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/upstream"
)

// queueMaxAttempts is how often the queue tries a ticket event, the default
// of queue.Options.MaxAttempts.
const queueMaxAttempts = 8

// faultTickets is how many tickets each fault test files while the fault
// lasts.
const faultTickets = 2

// upstreamFault is one way the token endpoint or Graph misbehaves, and what
// fieldlink must make of it.
type upstreamFault struct {
	name string

	// token reports whether the fault is the token endpoint's. It then
	// meets the datasource's first token request, and the lookup's error
	// names the token URL. A Graph fault begins after a first lookup has
	// cached a token.
	token bool

	// begin starts the fault and end stops it.
	begin, end func(t *testing.T, f *faultFixture)

	// requests returns how many requests the misbehaving emulator received.
	requests func(f *faultFixture) int

	// perCall bounds the requests one lookup sends while the fault lasts:
	// one call of upstream.Client.Do with its retries, or for paging one
	// evaluation with its pages.
	perCall int

	// retried reports whether the queue retries the ticket events. When it
	// is false they fail at once and an admin replays them.
	retried bool

	// reason lists what the lookup's error and the events' reasons must
	// contain, and health what the datasource's last error must contain.
	// A nil health means the datasource stays healthy, because every
	// request to it succeeded.
	reason, health []string
}

func upstreamFaults() []upstreamFault {
	tokenRequests := func(f *faultFixture) int { return f.emulators.Entra.TokenRequests() }
	graphRequests := func(f *faultFixture) int { return f.emulators.Graph.Requests() }
	clearToken := func(t *testing.T, f *faultFixture) { f.emulators.Entra.ClearFaults() }
	clearGraph := func(t *testing.T, f *faultFixture) { f.emulators.Graph.ClearFaults() }
	// Far more faults than the test can use, so the fault lasts until end.
	const many = 10_000
	perDo := upstream.MaxRetries + 1

	return []upstreamFault{
		{
			name:     "token endpoint down",
			token:    true,
			begin:    func(t *testing.T, f *faultFixture) { f.token.Stop() },
			end:      func(t *testing.T, f *faultFixture) { f.token.Start(t) },
			requests: tokenRequests,
			perCall:  1,
			retried:  true,
			reason:   []string{"fetch token from ", "/oauth2/v2.0/token", "connection refused"},
			health:   []string{"fetch token from ", "connection refused"},
		},
		{
			name:     "token endpoint slow",
			token:    true,
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Entra.SlowNext(many, 5*time.Second) },
			end:      clearToken,
			requests: tokenRequests,
			perCall:  1,
			retried:  true,
			reason:   []string{"token request to ", fmt.Sprintf("timed out after %ds", faultTimeoutSeconds), "timeoutSeconds"},
			health:   []string{"token request to ", fmt.Sprintf("timed out after %ds", faultTimeoutSeconds)},
		},
		{
			name:  "token endpoint 500",
			token: true,
			begin: func(t *testing.T, f *faultFixture) {
				f.emulators.Entra.ServerErrorNext(many, http.StatusInternalServerError)
			},
			end:      clearToken,
			requests: tokenRequests,
			perCall:  1,
			retried:  true,
			reason:   []string{"token request to ", "failed with status 500 Internal Server Error", "server_error"},
			health:   []string{"failed with status 500 Internal Server Error"},
		},
		{
			name:     "token endpoint proxy HTML page",
			token:    true,
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Entra.HTMLNext(many, http.StatusBadGateway) },
			end:      clearToken,
			requests: tokenRequests,
			perCall:  1,
			retried:  true,
			reason:   []string{"failed with status 502 Bad Gateway", `an HTML page titled "502 Bad Gateway", not JSON`},
			health:   []string{"502 Bad Gateway", "an HTML page"},
		},
		{
			name:     "token endpoint captive portal",
			token:    true,
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Entra.HTMLNext(many, 0) },
			end:      clearToken,
			requests: tokenRequests,
			perCall:  1,
			retried:  false,
			reason:   []string{`an HTML page titled "Network sign-in required"`, "status 200 OK", "not a JSON token response"},
			health:   []string{"an HTML page", "not a JSON token response"},
		},
		{
			name:     "Graph 429 storm with Retry-After",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.ThrottleNext(many, "0") },
			end:      clearGraph,
			requests: graphRequests,
			perCall:  perDo,
			retried:  true,
			reason:   []string{"HTTP 429 (TooManyRequests)", "rate limiting"},
			health:   []string{"returned 429 Too Many Requests", "TooManyRequests"},
		},
		{
			name:     "Graph 429 storm without Retry-After",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.ThrottleNext(many, "") },
			end:      clearGraph,
			requests: graphRequests,
			perCall:  perDo,
			retried:  true,
			reason:   []string{"HTTP 429 (TooManyRequests)", "rate limiting"},
			health:   []string{"returned 429 Too Many Requests"},
		},
		{
			name:     "Graph 429 storm with long Retry-After",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.ThrottleNext(many, "4") },
			end:      clearGraph,
			requests: graphRequests,
			// Waiting 4 s would pass the call's budget of 2 s, so Do stops
			// after the first response, and the queue waits the 4 s before
			// it tries the event again.
			perCall: 1,
			retried: true,
			reason:  []string{"returned 429 Too Many Requests", "asked to be called again in 4s"},
			health:  []string{"returned 429 Too Many Requests"},
		},
		{
			name:     "Graph 503",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.UnavailableNext(many, "1") },
			end:      clearGraph,
			requests: graphRequests,
			perCall:  perDo,
			retried:  true,
			reason:   []string{"503 Service Unavailable", "serviceNotAvailable"},
			health:   []string{"returned 503 Service Unavailable", "serviceNotAvailable"},
		},
		{
			name:     "Graph connection cut mid-body",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.TruncateNext(many, graph.CutConnection) },
			end:      clearGraph,
			requests: graphRequests,
			perCall:  perDo,
			retried:  true,
			reason:   []string{"returned 200 OK, but the connection closed after", "bytes of the body"},
			health:   []string{"the connection closed after"},
		},
		{
			name:     "Graph JSON cut short",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.TruncateNext(many, graph.CutJSON) },
			end:      clearGraph,
			requests: graphRequests,
			perCall:  perDo,
			retried:  true,
			reason:   []string{"returned 200 OK with a JSON body that stops after", "in the middle of the document"},
			health:   []string{"in the middle of the document"},
		},
		{
			name:     "Graph endless nextLink",
			begin:    func(t *testing.T, f *faultFixture) { f.emulators.Graph.SetEndlessPaging(true) },
			end:      func(t *testing.T, f *faultFixture) { f.emulators.Graph.SetEndlessPaging(false) },
			requests: graphRequests,
			perCall:  item.MaxPages,
			retried:  false,
			reason:   []string{`paging item "Reporter office" stopped after page 100`, "more than 100 pages"},
			// Every page request succeeds, so the datasource stays
			// healthy. The item's failure shows on the events and the
			// lookup.
			health: nil,
		},
	}
}

// TestUpstreamFaultMatrix runs each fault of upstreamFaults against a
// server of its own, over real HTTP on loopback: a lookup through the API
// and signed Jira webhooks while the fault lasts, then the same once it
// ends.
func TestUpstreamFaultMatrix(t *testing.T) {
	for _, fault := range upstreamFaults() {
		t.Run(fault.name, func(t *testing.T) {
			t.Parallel()
			runUpstreamFault(t, fault)
		})
	}
}

// lookupLimit bounds how long a lookup through the API may take during a
// fault. One call of upstream.Client.Do ends within twice the datasource's
// timeout, 2 s here, so a lookup that runs past the limit hangs.
const lookupLimit = 10 * time.Second

func runUpstreamFault(t *testing.T, fault upstreamFault) {
	f := startFaults(t)
	if !fault.token {
		if _, err := f.lookup(t, lookupLimit); err != nil {
			t.Fatalf("lookup before the fault: %v", err)
		}
	}
	baseline := fault.requests(f)
	fault.begin(t, f)

	// The lookup fails with the cause instead of hanging.
	started := time.Now()
	_, err := f.lookup(t, lookupLimit)
	if err == nil {
		t.Fatalf("lookup during the fault succeeded, want an error")
	}
	checkReason(t, "lookup error", err.Error(), fault.reason...)
	if fault.token {
		checkReason(t, "lookup error", err.Error(), f.graph.Auth.TokenURL)
	}
	t.Logf("lookup failed after %s: %v", time.Since(started).Round(time.Millisecond), err)

	keys := fileDuringFault(t, f, fault)
	f.checkServing(t)
	checkFaultHealth(t, f, fault)
	checkRetryBounds(t, f, fault, baseline, keys)

	fault.end(t, f)
	checkRecovery(t, f, fault, keys)
}

// fileDuringFault files faultTickets tickets and checks that each event is
// stored and then retried or failed with the cause. It returns the issue
// keys by event ID.
func fileDuringFault(t *testing.T, f *faultFixture, fault upstreamFault) map[int64]string {
	t.Helper()
	keys := map[int64]string{}
	for range faultTickets {
		key, id := f.fileTicket(t)
		keys[id] = key
	}

	for id := range keys {
		var ev httpapi.EventBody
		if fault.retried {
			ev = f.waitAttempts(t, id, 2)
		} else {
			ev = f.waitFinished(t, id)
		}
		checkFaultEvent(t, fault, ev)
		t.Logf("%s %s: %s", ev.IssueKey, ev.Status, describeOutcome(ev.Outcome))
	}
	return keys
}

// checkFaultHealth checks that the Graph datasource's health names the
// failure, or stays healthy when every request succeeded.
func checkFaultHealth(t *testing.T, f *faultFixture, fault upstreamFault) {
	t.Helper()
	health := f.health(t)
	t.Logf("health during the fault: %s: %s", health.Status, health.LastError)
	switch {
	case fault.health == nil && health.Status != httpapi.HealthHealthy:
		t.Errorf("health = %s (%s), want healthy: every request to the datasource succeeded", health.Status, health.LastError)
	case fault.health != nil && health.Status != httpapi.HealthFailing:
		t.Errorf("health = %s (%s), want failing", health.Status, health.LastError)
	case fault.health != nil:
		checkReason(t, "health's last error", health.LastError, fault.health...)
	}
}

// checkRetryBounds checks that each lookup during the fault sent at most
// fault.perCall requests to the emulator, counted from baseline, and that no
// event was tried more than queueMaxAttempts times.
func checkRetryBounds(t *testing.T, f *faultFixture, fault upstreamFault, baseline int, keys map[int64]string) {
	t.Helper()
	sent := fault.requests(f) - baseline
	attempts := 0
	for id, key := range keys {
		ev, err := f.api.GetEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Outcome == nil {
			t.Fatalf("%s: no outcome after its attempts", key)
		}
		attempts += ev.Outcome.Attempts
		if ev.Outcome.Attempts > queueMaxAttempts {
			t.Errorf("%s: %d attempts, want at most %d", key, ev.Outcome.Attempts, queueMaxAttempts)
		}
	}

	// The API's lookup is one call. An attempt may have started after its
	// event was read, so each event may add one call more.
	calls := 1 + attempts + len(keys)
	if sent > fault.perCall*calls {
		t.Errorf("the emulator received %d requests during the fault, want at most %d per lookup × %d lookups = %d",
			sent, fault.perCall, calls, fault.perCall*calls)
	}
	t.Logf("during the fault: %d requests to the emulator for 1 lookup and %d queue attempts (bound %d per lookup)", sent, attempts, fault.perCall)
}

// checkRecovery checks, once the fault ended, that retried events complete
// and failed ones complete when replayed, that a new lookup and a new ticket
// succeed, and that the datasource is healthy again.
func checkRecovery(t *testing.T, f *faultFixture, fault upstreamFault, keys map[int64]string) {
	t.Helper()
	for id, key := range keys {
		if !fault.retried {
			if _, err := f.api.ReplayEvent(context.Background(), id); err != nil {
				t.Fatalf("replay %s: %v", key, err)
			}
		}
		f.checkRouted(t, key, f.waitFinished(t, id))
	}

	if text, err := f.lookup(t, lookupLimit); err != nil || text != "Paris" {
		t.Errorf("lookup after the fault = %q, %v; want Paris", text, err)
	}
	key, id := f.fileTicket(t)
	f.checkRouted(t, key, f.waitFinished(t, id))
	f.waitHealth(t, httpapi.HealthHealthy)
	f.checkServing(t)
}

// checkFaultEvent checks an event filed during the fault: pending with the
// cause while the queue retries it, or failed with the cause after one
// attempt.
func checkFaultEvent(t *testing.T, fault upstreamFault, ev httpapi.EventBody) {
	t.Helper()
	if ev.Outcome == nil {
		t.Errorf("%s: no outcome, want the failure's reason", ev.IssueKey)
		return
	}
	reason := ev.Outcome.Reason
	label := ev.IssueKey + " reason"
	checkReason(t, label, reason, fault.reason...)
	checkReason(t, label, reason, `datasource "Microsoft Graph"`)
	if strings.Contains(reason, "<") {
		t.Errorf("%s %q contains markup", label, reason)
	}
	if len(reason) > 1000 {
		t.Errorf("%s is %d bytes long, want a short one", label, len(reason))
	}

	switch {
	case fault.retried && ev.Status != string(fieldlink.EventPending):
		t.Errorf("%s: status %s, want pending while the queue retries", ev.IssueKey, ev.Status)
	case fault.retried:
		checkReason(t, label, reason, "fieldlink retries the event")
	case ev.Status != string(fieldlink.EventFailed):
		t.Errorf("%s: status %s, want failed", ev.IssueKey, ev.Status)
	case ev.Outcome.Attempts != 1:
		t.Errorf("%s: %d attempts, want 1: the failure does not pass by itself", ev.IssueKey, ev.Outcome.Attempts)
	}
}

// waitHealth polls the Graph datasource's health until it has the status.
func (f *faultFixture) waitHealth(t *testing.T, status string) {
	t.Helper()
	deadline := time.Now().Add(pollDeadline)
	for {
		health := f.health(t)
		if health.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health = %s (%s) after %s, want %s", health.Status, health.LastError, pollDeadline, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
