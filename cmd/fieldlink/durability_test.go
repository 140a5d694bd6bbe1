package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
)

const durabilityToken = "durability-admin-token-0123456789"

// serveProcess is a "fieldlink serve" process on a data folder.
type serveProcess struct {
	cmd *exec.Cmd
}

func startServeProcess(t *testing.T, dataDir, addr string) *serveProcess {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", addr, "--data", dataDir, "--allow-loopback", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+durabilityToken)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
			go io.Copy(io.Discard, stdout)
			return &serveProcess{cmd: cmd}
		}
	}
	t.Fatal("serve stopped before serving")
	return nil
}

// kill stops the process with SIGKILL, as a crash or an OOM kill would.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

func TestTicketsSurviveKillDuplicatesAndThrottling(t *testing.T) {
	const tickets = 200
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	emulators, err := demo.StartEmulators(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulators.Close() })
	dataDir, addr := t.TempDir(), freeAddr(t)

	server := startServeProcess(t, dataDir, addr)
	api := &apiclient.Client{BaseURL: "http://" + addr, Token: durabilityToken}
	hook, err := demo.Configure(ctx, api, emulators, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	emulators.Jira.RegisterWebhook(hook.URL, hook.Secret)

	// Reporters cycle through the directory; the office decides the fields.
	officeOf := map[string]string{}
	var reporters []jiracloud.Account
	for _, u := range graph.SampleDirectory() {
		if u.Mail == "" {
			continue
		}
		officeOf[u.Mail] = u.OfficeLocation
		reporters = append(reporters, jiracloud.Account{AccountID: "712020:" + u.ID, DisplayName: u.DisplayName, Email: u.Mail})
	}

	// Graph and Jira both throttle for a while: lookups and writes retry.
	emulators.Graph.ThrottleNext(3, "1")
	emulators.Jira.ThrottleNext(3, "1")

	var keys []string
	create := func(n int) {
		for range n {
			reporter := reporters[len(keys)%len(reporters)]
			key, err := emulators.Jira.CreateIssue(ctx, reporter, "Printer on my floor is offline")
			if err != nil {
				t.Fatalf("create ticket %d: %v", len(keys)+1, err)
			}
			keys = append(keys, key)
		}
	}

	create(tickets / 2)
	// Kill the server while it works through the first half (some events
	// done, others pending or running), then start it again on the same
	// data folder and port.
	processed := waitProcessed(ctx, t, api, 20)
	server.kill(t)
	t.Logf("killed the server after %d of %d events were processed", processed, tickets/2)
	server = startServeProcess(t, dataDir, addr)
	create(tickets - tickets/2)
	for i := 0; i < len(keys); i += 10 {
		if err := emulators.Jira.Redeliver(ctx, keys[i]); err != nil {
			t.Fatalf("redeliver %s: %v", keys[i], err)
		}
	}

	events := waitAllFinished(ctx, t, api, tickets)
	byKey := map[string]fieldlink.Event{}
	for _, ev := range events {
		if _, dup := byKey[ev.IssueKey]; dup {
			t.Errorf("%s stored twice", ev.IssueKey)
		}
		byKey[ev.IssueKey] = fieldlink.Event{Status: fieldlink.EventStatus(ev.Status), Outcome: ev.Outcome}
	}

	groups := map[string]string{"Paris": "EMEA Service Desk", "London": "EMEA Service Desk", "New York": "Americas Service Desk", "Singapore": "APAC Service Desk"}
	for _, key := range keys {
		ev, ok := byKey[key]
		if !ok {
			t.Errorf("%s: no event stored", key)
			continue
		}
		if ev.Status != fieldlink.EventProcessed || ev.Outcome == nil {
			t.Errorf("%s: status %q outcome %+v, want processed with an outcome", key, ev.Status, ev.Outcome)
			continue
		}
		issue, _ := emulators.Jira.Issue(key)
		reporter, _ := issue["reporter"].(map[string]any)
		email, _ := reporter["emailAddress"].(string)
		group, routed := groups[officeOf[email]]
		edits := emulators.Jira.Edits(key)
		comments := emulators.Jira.Comments(key)

		if !routed {
			if len(edits) != 0 || !strings.HasPrefix(ev.Outcome.Reason, "no rule matched") {
				t.Errorf("%s (%s, no office): %d edits, reason %q", key, email, len(edits), ev.Outcome.Reason)
			}
			continue
		}
		if len(edits) != 1 || len(comments) != 1 {
			t.Errorf("%s (%s): %d edits and %d comments, want exactly one of each", key, email, len(edits), len(comments))
		}
		if got := describeOption(issue["customfield_10050"]); got != group {
			t.Errorf("%s (%s): support group %q, want %q", key, email, got, group)
		}
		if got := describeOption(issue["customfield_10051"]); got != officeOf[email] {
			t.Errorf("%s (%s): queue %q, want %q", key, email, got, officeOf[email])
		}
	}
}

// waitProcessed waits until at least n events are processed and returns how
// many were.
func waitProcessed(ctx context.Context, t *testing.T, api *apiclient.Client, n int) int {
	t.Helper()
	for {
		page, err := api.FindEvents(ctx, fieldlink.EventFilter{Status: fieldlink.EventProcessed, Limit: 1000})
		if err == nil && len(page.Items) >= n {
			return len(page.Items)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("fewer than %d events processed in time (last error %v)", n, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitAllFinished polls the API until want events exist and none is pending.
func waitAllFinished(ctx context.Context, t *testing.T, api *apiclient.Client, want int) []eventView {
	t.Helper()
	for {
		page, err := api.FindEvents(ctx, fieldlink.EventFilter{Limit: 1000})
		if err == nil {
			pending := 0
			var events []eventView
			for _, ev := range page.Items {
				if ev.Status == string(fieldlink.EventPending) {
					pending++
				}
				events = append(events, eventView{IssueKey: ev.IssueKey, Status: ev.Status, Outcome: ev.Outcome})
			}
			if len(events) >= want && pending == 0 {
				return events
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("events not all processed in time (last error %v)", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type eventView struct {
	IssueKey string
	Status   string
	Outcome  *fieldlink.Outcome
}

func describeOption(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["value"].(string)
		return s
	}
	return ""
}
