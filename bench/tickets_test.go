package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/internal/pgtest"
)

// ticketDelays are the latencies the Graph and Jira emulators add to each
// response in BenchmarkTicketThroughput: none, and a typical cloud API's.
var ticketDelays = []time.Duration{0, 20 * time.Millisecond}

// BenchmarkTicketThroughput sends serverSizes.tickets signed
// jira:issue_created webhooks per round from serverSizes.senders concurrent
// senders to a server on SQLite and on PostgreSQL. Each ticket's reporter is
// looked up in Graph through the item "Reporter office" (cached per
// reporter), a rule picks the support group and location queue of the
// office, and fieldlink writes them to the issue in the Jira emulator.
//
// It reports tickets/s (tickets over the time from the first send to the
// last field update the Jira emulator accepted), intake-req/s (webhooks
// answered per second) and intake-p99-ms (send to 202 Accepted, which
// fieldlink sends only after the event and its job are committed). Every
// issue must end up with exactly one edit holding its office's values.
func BenchmarkTicketThroughput(b *testing.B) {
	for _, c := range ticketCases() {
		b.Run(c.name(), func(b *testing.B) {
			benchmarkTickets(b, startTicketServer(b, c))
		})
	}
}

// ticketCase is one configuration of BenchmarkTicketThroughput.
type ticketCase struct {
	// db is "sqlite" or "postgres".
	db    string
	delay time.Duration
}

// ticketCases returns both databases with each emulator delay.
func ticketCases() []ticketCase {
	var cases []ticketCase
	for _, db := range []string{"sqlite", "postgres"} {
		for _, delay := range ticketDelays {
			cases = append(cases, ticketCase{db: db, delay: delay})
		}
	}
	return cases
}

// name returns the sub-benchmark name, which carries the parameters.
func (c ticketCase) name() string {
	return fmt.Sprintf("db=%s/delay=%dms/senders=%d", c.db, c.delay.Milliseconds(), serverSizes.senders)
}

// startTicketServer starts a server on the case's database; a PostgreSQL
// database of its own is created for it and dropped when b ends.
func startTicketServer(b *testing.B, c ticketCase) *benchServer {
	database := ""
	if c.db == "postgres" {
		database = pgtest.NewDatabase(b)
	}
	return startBenchServer(b, benchServerOptions{Database: database, Reporters: serverSizes.reporters, Latency: c.delay})
}

// ticketRound is what one round of webhooks measured.
type ticketRound struct {
	intake loadResult
	// endToEnd runs from the first send to the last accepted edit.
	endToEnd time.Duration
}

func benchmarkTickets(b *testing.B, fl *benchServer) {
	var rounds []ticketRound
	sent := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		keys, deliveries := fileBenchTickets(b, fl, sent, serverSizes.tickets)
		sent += len(keys)
		fl.edits.expect(keys)
		client := newLoadClient(serverSizes.senders)
		b.StartTimer()

		intake := runLoad(context.Background(), loadOptions{
			Concurrency: serverSizes.senders,
			Requests:    len(deliveries),
			Send: func(ctx context.Context, n int) error {
				return sendBenchWebhook(ctx, client, fl.hook.URL, deliveries[n])
			},
		})
		if intake.Errors > 0 {
			b.Fatalf("%d of %d webhooks were not accepted; the first: %v", intake.Errors, intake.Requests, intake.FirstError)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		last, err := fl.edits.wait(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		client.CloseIdleConnections()
		rounds = append(rounds, ticketRound{intake: intake, endToEnd: last.Sub(intake.Start)})
		checkBenchTickets(b, fl, keys)
		b.StartTimer()
	}
	b.StopTimer()

	var tickets int
	var endToEnd time.Duration
	var intakes []loadResult
	for _, r := range rounds {
		tickets += len(r.intake.Latencies)
		endToEnd += r.endToEnd
		intakes = append(intakes, r.intake)
	}
	intake := mergeLoadResults(intakes)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(tickets)/endToEnd.Seconds(), "tickets/s")
	b.ReportMetric(intake.perSecond(), "intake-req/s")
	b.ReportMetric(milliseconds(intake.percentile(99)), "intake-p99-ms")
}

// fileBenchTickets creates count issues in the Jira emulator, reported by
// the directory's users in turn from the first'th ticket on, and returns
// their keys and the signed jira:issue_created deliveries Jira built.
func fileBenchTickets(b *testing.B, fl *benchServer, first, count int) ([]string, []capturedWebhook) {
	b.Helper()
	keys := make([]string, 0, count)
	deliveries := make([]capturedWebhook, 0, count)
	for i := range count {
		reporter := fl.reporters[(first+i)%len(fl.reporters)]
		key, err := fl.jira.CreateIssue(context.Background(), reporter.account, "Cannot reach the VPN from home")
		if err != nil {
			b.Fatalf("create an issue for %s: %v", reporter.account.Email, err)
		}
		delivery, ok := fl.capture.take(key)
		if !ok {
			b.Fatalf("the Jira emulator sent no jira:issue_created webhook for %s", key)
		}
		keys = append(keys, key)
		deliveries = append(deliveries, delivery)
	}
	return keys, deliveries
}

// sendBenchWebhook posts a captured delivery to fieldlink with Jira's
// headers and signature, and expects 202 Accepted for a new event.
func sendBenchWebhook(ctx context.Context, client *http.Client, url string, d capturedWebhook) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header = d.header.Clone()

	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the response: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}

	var intake struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &intake); err != nil || intake.Status != "accepted" {
		return fmt.Errorf("response %s, want status \"accepted\"", body)
	}
	return nil
}

// checkBenchTickets waits until no event is pending and checks that none
// failed and that every issue got one edit with its office's values.
func checkBenchTickets(b *testing.B, fl *benchServer, keys []string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for {
		pending, err := fl.admin.FindEvents(ctx, fieldlink.EventFilter{Status: fieldlink.EventPending, Limit: 1})
		if err != nil {
			b.Fatalf("list pending events: %v", err)
		}
		if len(pending.Items) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			b.Fatalf("events still pending after two minutes, such as %s", pending.Items[0].IssueKey)
		case <-time.After(20 * time.Millisecond):
		}
	}

	failed, err := fl.admin.FindEvents(ctx, fieldlink.EventFilter{Status: fieldlink.EventFailed, Limit: 1})
	if err != nil {
		b.Fatalf("list failed events: %v", err)
	}
	if len(failed.Items) > 0 {
		ev := failed.Items[0]
		b.Fatalf("event of %s failed: %+v", ev.IssueKey, ev.Outcome)
	}

	offices := map[string]benchOffice{}
	for _, r := range fl.reporters {
		offices[r.account.Email] = r.office
	}
	for _, key := range keys {
		if n := fl.edits.count(key); n != 1 {
			b.Errorf("%s was edited %d times, want once", key, n)
		}
		issue, _ := fl.jira.Issue(key)
		reporter, _ := issue["reporter"].(map[string]any)
		email, _ := reporter["emailAddress"].(string)
		want := offices[email]
		if got := benchOptionValue(issue[benchSupportGroup]); got != want.supportGroup {
			b.Errorf("%s (%s): support group %q, want %q", key, email, got, want.supportGroup)
		}
		if got := benchOptionValue(issue[benchLocation]); got != want.name {
			b.Errorf("%s (%s): location queue %q, want %q", key, email, got, want.name)
		}
	}
	if b.Failed() {
		b.FailNow()
	}
}

func benchOptionValue(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["value"].(string)
		return s
	}
	return ""
}
