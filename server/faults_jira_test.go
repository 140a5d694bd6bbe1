package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/upstream"
)

// These tests run the server over HTTP on loopback with the demo's
// configuration, and make the Jira emulator fail the field update (PUT
// /rest/api/3/issue/{key}) of the tickets it sends.

// jiraMaxAttempts is how often the queue tries an event: the default of
// queue.Options.MaxAttempts, which the server keeps.
const jiraMaxAttempts = 8

// jiraRequestsPerAttempt bounds the requests one Jira call sends in one
// attempt of an event: the first and the upstream client's retries.
const jiraRequestsPerAttempt = 1 + upstream.MaxRetries

// jiraSite is a running server configured like the demo, with the Jira
// emulator delivering its webhooks to the server's hook.
type jiraSite struct {
	*fixture
	jira   *jiracloud.Server
	jiraDS string
}

func startJiraSite(t *testing.T) *jiraSite {
	t.Helper()
	f := start(t)
	hook, err := demo.Configure(context.Background(), f.api, f.emulators, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f.emulators.Jira.RegisterWebhook(hook.URL, hook.Secret)
	return &jiraSite{fixture: f, jira: f.emulators.Jira, jiraDS: hook.JiraDatasource}
}

// jiraReporters are directory users with an office, so that a rule writes
// their tickets' fields, label and comment.
var jiraReporters = []jiracloud.Account{
	{Email: "amelie.laurent@fabrikam.example", DisplayName: "Amélie Laurent"},
	{Email: "oliver.bennett@fabrikam.example", DisplayName: "Oliver Bennett"},
	{Email: "marcus.johnson@fabrikam.example", DisplayName: "Marcus Johnson"},
}

// createTickets creates n tickets. Each webhook delivery must be accepted
// before CreateIssue returns, so every ticket has a stored event.
func (s *jiraSite) createTickets(t *testing.T, n int) []string {
	t.Helper()
	keys := make([]string, 0, n)
	for i := range n {
		key, err := s.jira.CreateIssue(context.Background(), jiraReporters[i%len(jiraReporters)], "Printer on my floor is offline")
		if err != nil {
			t.Fatalf("create ticket %d: %v", i+1, err)
		}
		keys = append(keys, key)
	}
	return keys
}

// event returns the stored event of the issue.
func (s *jiraSite) event(t *testing.T, key string) httpapi.EventBody {
	t.Helper()
	page, err := s.api.FindEvents(context.Background(), fieldlink.EventFilter{IssueKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("%s has %d stored events, want 1", key, len(page.Items))
	}
	return page.Items[0]
}

// waitEvents polls until every issue's event satisfies done and returns
// them in the order of keys.
func (s *jiraSite) waitEvents(t *testing.T, keys []string, within time.Duration, state string, done func(httpapi.EventBody) bool) []httpapi.EventBody {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		events := make([]httpapi.EventBody, len(keys))
		all := true
		for i, key := range keys {
			events[i] = s.event(t, key)
			all = all && done(events[i])
		}
		if all {
			return events
		}
		if time.Now().After(deadline) {
			for _, ev := range events {
				t.Logf("%s: %s, outcome %s", ev.IssueKey, ev.Status, describeJiraOutcome(ev.Outcome))
			}
			t.Fatalf("events not %s within %s", state, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRetrying waits until every issue's event is pending after at least
// attempts failed attempts.
func (s *jiraSite) waitRetrying(t *testing.T, keys []string, attempts int) []httpapi.EventBody {
	t.Helper()
	return s.waitEvents(t, keys, 15*time.Second, "pending after a failed attempt", func(ev httpapi.EventBody) bool {
		return ev.Status == string(fieldlink.EventPending) && ev.Outcome != nil && ev.Outcome.Attempts >= attempts
	})
}

// waitProcessed waits until no issue's event is pending, and fails unless
// each was processed.
func (s *jiraSite) waitProcessed(t *testing.T, keys []string) []httpapi.EventBody {
	t.Helper()
	events := s.waitEvents(t, keys, 15*time.Second, "finished", func(ev httpapi.EventBody) bool {
		return ev.Status != string(fieldlink.EventPending)
	})
	for _, ev := range events {
		if ev.Status != string(fieldlink.EventProcessed) {
			t.Errorf("%s: status %s (%s), want processed once Jira recovered", ev.IssueKey, ev.Status, describeJiraOutcome(ev.Outcome))
		}
	}
	return events
}

// jiraHealth returns the health of the Jira datasource.
func (s *jiraSite) jiraHealth(t *testing.T) httpapi.HealthBody {
	t.Helper()
	ds, err := s.api.GetDatasource(context.Background(), s.jiraDS)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Health == nil {
		t.Fatalf("datasource %q has no health", ds.Name)
	}
	return *ds.Health
}

// waitJiraHealth polls the Jira datasource's health until it has the
// status and its last error contains lastError, and fails after a few
// seconds. Every Jira response is recorded, so a read that succeeds
// between failed edits shows healthy for a moment.
func (s *jiraSite) waitJiraHealth(t *testing.T, status, lastError string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		health := s.jiraHealth(t)
		if health.Status == status && strings.Contains(health.LastError, lastError) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("Jira datasource health = %+v, want %s with a last error containing %q", health, status, lastError)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkWrittenOnce checks that each issue got the rule's edit and comment
// exactly once, and that its event records them.
func (s *jiraSite) checkWrittenOnce(t *testing.T, events []httpapi.EventBody) {
	t.Helper()
	for _, ev := range events {
		if n := len(s.jira.Edits(ev.IssueKey)); n != 1 {
			t.Errorf("%s: %d edits applied, want exactly 1", ev.IssueKey, n)
		}
		if n := len(s.jira.Comments(ev.IssueKey)); n != 1 {
			t.Errorf("%s: %d comments, want exactly 1", ev.IssueKey, n)
		}
		issue, _ := s.jira.Issue(ev.IssueKey)
		if group, _ := issue[jiracloud.FieldSupportGroup].(map[string]any); group == nil || group["value"] == nil {
			t.Errorf("%s: support group %v, want the rule's option", ev.IssueKey, issue[jiracloud.FieldSupportGroup])
		}
		if o := ev.Outcome; o == nil || len(o.FieldsWritten) != 2 || !o.Commented || o.Reason != "" {
			t.Errorf("%s: outcome %s, want two fields written, a comment and no reason", ev.IssueKey, describeJiraOutcome(o))
		}
		if o := ev.Outcome; o != nil && (o.Attempts < 2 || o.Attempts > jiraMaxAttempts) {
			t.Errorf("%s: %d attempts, want 2 to %d", ev.IssueKey, o.Attempts, jiraMaxAttempts)
		}
	}
}

// checkServing fails when the server stopped serving.
func (s *jiraSite) checkServing(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.srv.Done():
		t.Fatalf("server stopped serving during the fault: %v", err)
	default:
	}
	resp, err := http.Get(s.srv.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d after Jira recovered, want 200", resp.StatusCode)
	}
}

func describeJiraOutcome(o *fieldlink.Outcome) string {
	if o == nil {
		return "(none)"
	}
	return toString(o)
}

// checkReasonNames checks that a reason contains each of wants.
func checkReasonNames(t *testing.T, key, reason string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(reason, want) {
			t.Errorf("%s: reason %q, want it to contain %q", key, reason, want)
		}
	}
}

func TestJiraThrottleStormRetriedWithinBound(t *testing.T) {
	t.Parallel()
	s := startJiraSite(t)
	const tickets = 3

	// Every field update is throttled until the storm ends. The upstream
	// client waits Jira's Retry-After between its retries, then the
	// queue takes over.
	s.jira.ThrottleNextEdits(10_000, "1")
	keys := s.createTickets(t, tickets)

	events := s.waitRetrying(t, keys, 1)
	for _, ev := range events {
		checkReasonNames(t, ev.IssueKey, ev.Outcome.Reason,
			"edit issue "+ev.IssueKey, "Jira returned 429 Too Many Requests", "Jira asked for a retry after 1s",
			"failed: fieldlink retries the event")
	}
	s.waitJiraHealth(t, httpapi.HealthFailing, "429 Too Many Requests")

	// A request counted before ClearFaults was throttled, and each ticket
	// needs exactly one more edit once the storm ends.
	s.jira.ClearFaults()
	throttled := s.jira.Requests()[jiracloud.EditPattern]
	t.Logf("%d field updates throttled during the storm", throttled)

	events = s.waitProcessed(t, keys)
	s.checkWrittenOnce(t, events)

	attempts := 0
	for _, ev := range events {
		attempts += ev.Outcome.Attempts
	}
	if bound := attempts * jiraRequestsPerAttempt; throttled > bound {
		t.Errorf("%d field updates throttled in %d attempts, want at most %d per attempt", throttled, attempts, jiraRequestsPerAttempt)
	}
	t.Logf("%d attempts for %d tickets", attempts, tickets)
	if got, want := s.jira.Requests()[jiracloud.EditPattern], throttled+tickets; got != want {
		t.Errorf("%d field updates in all, want %d: the throttled ones and one per ticket", got, want)
	}
	s.waitJiraHealth(t, httpapi.HealthHealthy, "")
	s.checkServing(t)
}

func TestJiraServerErrorRetriedAndWrittenOnce(t *testing.T) {
	t.Parallel()
	s := startJiraSite(t)

	// Jira applies the first edit but responds with 500: the retry reads the
	// issue, finds the fields written and does not edit again.
	s.jira.FailNextEditsAfterApplying(1, http.StatusInternalServerError)
	applied := s.createTickets(t, 1)
	events := s.waitProcessed(t, applied)
	s.checkWrittenOnce(t, events)
	if n := s.jira.Requests()[jiracloud.EditPattern]; n != 1 {
		t.Errorf("%d field updates sent, want 1: the retry finds the edit applied", n)
	}

	// Then Jira fails every edit with 500 until the fault ends. A 500 to
	// a PUT is not repeated within an attempt, because Jira may have
	// acted, so each attempt sends one update.
	s.jira.FailNextEdits(10_000, http.StatusInternalServerError)
	failing := s.createTickets(t, 1)
	key := failing[0]
	ev := s.waitRetrying(t, failing, 2)[0]
	checkReasonNames(t, key, ev.Outcome.Reason,
		"edit issue "+key, "Jira returned 500 Internal Server Error", "Jira may accept the request when it is sent again later",
		"failed: fieldlink retries the event")
	s.waitJiraHealth(t, httpapi.HealthFailing, "500 Internal Server Error")

	s.jira.ClearFaults()
	failed := s.jira.Requests()[jiracloud.EditPattern] - 1
	events = s.waitProcessed(t, failing)
	s.checkWrittenOnce(t, events)
	if attempts := events[0].Outcome.Attempts; failed != attempts-1 {
		t.Errorf("%d updates failed in %d attempts, want one per failed attempt", failed, attempts)
	}
	t.Logf("%d field updates got 500 before the outage ended, %d attempts", failed, events[0].Outcome.Attempts)
	s.waitJiraHealth(t, httpapi.HealthHealthy, "")
	s.checkServing(t)
}

func TestJiraConflictOnEditRetried(t *testing.T) {
	t.Parallel()
	s := startJiraSite(t)

	s.jira.FailNextEdits(10_000, http.StatusConflict)
	keys := s.createTickets(t, 1)
	key := keys[0]

	ev := s.waitRetrying(t, keys, 2)[0]
	checkReasonNames(t, key, ev.Outcome.Reason,
		"edit issue "+key, "Jira returned 409 Conflict", "Another change to the issue was running in Jira",
		"failed: fieldlink retries the event")
	// A conflict concerns one issue, and Jira itself responded.
	if health := s.jiraHealth(t); health.Status != httpapi.HealthHealthy {
		t.Errorf("Jira datasource health during conflicts = %+v, want healthy", health)
	}

	s.jira.ClearFaults()
	conflicts := s.jira.Requests()[jiracloud.EditPattern]
	events := s.waitProcessed(t, keys)
	s.checkWrittenOnce(t, events)
	if attempts := events[0].Outcome.Attempts; conflicts != attempts-1 {
		t.Errorf("%d updates answered 409 in %d attempts, want one per failed attempt", conflicts, attempts)
	}
	t.Logf("%d field updates got 409 before the conflicts ended, %d attempts", conflicts, events[0].Outcome.Attempts)
	s.checkServing(t)
}

func TestJiraLongRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	s := startJiraSite(t)
	ctx := context.Background()

	// With a 1-second timeout the upstream client may spend 2 seconds on
	// a call, so it gives up on a Retry-After of 3 seconds at once and
	// the queue must wait for it.
	ds, err := s.api.GetDatasource(ctx, s.jiraDS)
	if err != nil {
		t.Fatal(err)
	}
	ds.TimeoutSeconds = 1
	if _, err := s.api.UpdateDatasource(ctx, s.jiraDS, ds); err != nil {
		t.Fatal(err)
	}

	s.jira.ThrottleNextEdits(1, "3")
	began := time.Now()
	keys := s.createTickets(t, 1)
	events := s.waitProcessed(t, keys)
	elapsed := time.Since(began)

	s.checkWrittenOnce(t, events)
	if elapsed < 3*time.Second {
		t.Errorf("ticket processed %s after its webhook, want the 3s that Jira's Retry-After asked for", elapsed.Round(time.Millisecond))
	}
	if n := s.jira.Requests()[jiracloud.EditPattern]; n != 2 {
		t.Errorf("%d field updates sent, want 2: the throttled one and one after Retry-After", n)
	}
}
