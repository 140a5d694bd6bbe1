package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
)

// faultTimeoutSeconds is the Graph datasource's timeoutSeconds in the fault
// tests: the shortest a datasource allows, so a slow upstream times out
// quickly and one call of upstream.Client.Do, retries included, ends within
// twice that.
const faultTimeoutSeconds = 1

// pollDeadline bounds each wait of the fault tests for an event or a health
// status. The queue retries an event after 1 s, 2 s and 4 s, so the first
// four attempts fit well within it.
const pollDeadline = 15 * time.Second

// amelie is a directory user in the Paris office, whose tickets the rule
// "Paris office" routes.
var amelie = jiracloud.Account{
	AccountID:   "712020:0000aa01-fault-4000-8000-000000000001",
	DisplayName: "Amélie Laurent",
	Email:       "amelie.laurent@fabrikam.example",
}

// faultFixture is a running server with a Graph datasource, the item
// "Reporter office" on it (without a result cache, so every lookup reaches
// Graph), one rule that routes Paris tickets, and a hook that Jira's
// emulator delivers signed webhooks to. The datasource's token endpoint is
// the Entra emulator behind a listener of the test's own, which can be
// closed and opened again on the same port.
type faultFixture struct {
	*fixture
	token      *restartableServer
	graphID    string
	graph      httpapi.DatasourceBody
	itemID     string
	hookID     string
	ruleName   string
	supportKey string
}

// startFaults starts the server and the emulators and configures them as
// faultFixture describes.
func startFaults(t *testing.T) *faultFixture {
	t.Helper()
	f := &faultFixture{fixture: start(t), ruleName: "Paris office", supportKey: "customfield_10050"}
	ctx := context.Background()
	f.token = startRestartable(t, f.emulators.Entra)

	f.graph = f.graphDatasource(f.emulators.ClientSecret)
	f.graph.Auth.TokenURL = f.token.URL() + "/" + demo.TenantID + "/oauth2/v2.0/token"
	f.graph.TimeoutSeconds = faultTimeoutSeconds
	graph, err := f.api.CreateDatasource(ctx, f.graph)
	if err != nil {
		t.Fatalf("create the Graph datasource: %v", err)
	}
	f.graphID = graph.ID

	jira, err := f.api.CreateDatasource(ctx, httpapi.DatasourceBody{
		Name: "Jira Cloud", BaseURL: f.emulators.JiraURL, TestPath: "/rest/api/3/myself",
		Auth: httpapi.AuthBody{Mode: "basic", Username: demo.JiraEmail, Password: f.emulators.JiraAPIToken},
	})
	if err != nil {
		t.Fatalf("create the Jira datasource: %v", err)
	}

	body := officeItem(f.graphID)
	noCache := 0
	body.CacheSeconds = &noCache
	it, err := f.api.CreateItem(ctx, body)
	if err != nil {
		t.Fatalf("create the item: %v", err)
	}
	f.itemID = it.ID

	_, err = f.api.CreateRule(ctx, httpapi.RuleBody{
		Name: f.ruleName, Position: 10, Condition: `items["Reporter office"] == "Paris"`,
		Fields: map[string]json.RawMessage{f.supportKey: json.RawMessage(`{"value": "EMEA Service Desk"}`)},
	})
	if err != nil {
		t.Fatalf("create the rule: %v", err)
	}

	hook, err := f.api.CreateHook(ctx, httpapi.HookBody{Name: "IT Help", JiraDatasource: jira.ID})
	if err != nil {
		t.Fatalf("create the hook: %v", err)
	}
	f.hookID = hook.ID
	f.emulators.Jira.RegisterWebhook(hook.URL, hook.Secret)
	return f
}

// fileTicket creates an issue reported by amelie in Jira's emulator, which
// delivers the signed issue-created webhook before it returns, and returns
// the stored event's ID.
func (f *faultFixture) fileTicket(t *testing.T) (string, int64) {
	t.Helper()
	ctx := context.Background()

	key, err := f.emulators.Jira.CreateIssue(ctx, amelie, "Printer on floor 3 is jammed")
	if err != nil {
		t.Fatalf("deliver the webhook of a new issue: %v", err)
	}
	events, err := f.api.FindEvents(ctx, fieldlink.EventFilter{IssueKey: key})
	if err != nil {
		t.Fatalf("list the events of %s: %v", key, err)
	}
	if len(events.Items) != 1 {
		t.Fatalf("%d events stored for %s, want 1: the webhook was acknowledged, so it must be stored", len(events.Items), key)
	}
	return key, events.Items[0].ID
}

// waitEvent polls the event through the API until done reports true for
// it, and fails the test when pollDeadline passes first.
func (f *faultFixture) waitEvent(t *testing.T, id int64, what string, done func(httpapi.EventBody) bool) httpapi.EventBody {
	t.Helper()
	deadline := time.Now().Add(pollDeadline)
	var last httpapi.EventBody
	for time.Now().Before(deadline) {
		ev, err := f.api.GetEvent(context.Background(), id)
		if err != nil {
			t.Fatalf("get event %d: %v", id, err)
		}
		if done(ev) {
			return ev
		}
		last = ev
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("event %d is not %s after %s: status %s, outcome %s", id, what, pollDeadline, last.Status, describeOutcome(last.Outcome))
	return last
}

// waitAttempts waits until the event is pending after at least n attempts
// or has finished.
func (f *faultFixture) waitAttempts(t *testing.T, id int64, n int) httpapi.EventBody {
	t.Helper()
	return f.waitEvent(t, id, "retried", func(ev httpapi.EventBody) bool {
		return ev.Status != string(fieldlink.EventPending) || ev.Outcome != nil && ev.Outcome.Attempts >= n
	})
}

// waitFinished waits until the event is processed or failed.
func (f *faultFixture) waitFinished(t *testing.T, id int64) httpapi.EventBody {
	t.Helper()
	return f.waitEvent(t, id, "finished", func(ev httpapi.EventBody) bool {
		return ev.Status != string(fieldlink.EventPending)
	})
}

// health returns the Graph datasource's health through the API.
func (f *faultFixture) health(t *testing.T) httpapi.HealthBody {
	t.Helper()
	ds, err := f.api.GetDatasource(context.Background(), f.graphID)
	if err != nil {
		t.Fatalf("get the Graph datasource: %v", err)
	}
	if ds.Health == nil {
		t.Fatalf("the Graph datasource has no health")
	}
	return *ds.Health
}

// lookup evaluates the item for amelie through the API and returns its text
// or the API's error. A lookup that hangs fails the test instead.
func (f *faultFixture) lookup(t *testing.T, limit time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	result, err := f.api.EvaluateItem(ctx, f.itemID, reporter)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the lookup was still running after %s, want an answer or an error", limit)
	}
	return result.Text, err
}

// checkServing fails the test unless /healthz, /readyz and the API respond.
// An upstream outage concerns neither the process nor its database, so
// /readyz stays ready.
func (f *faultFixture) checkServing(t *testing.T) {
	t.Helper()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(f.srv.URL() + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
	if _, err := f.api.ListDatasources(context.Background()); err != nil {
		t.Errorf("list datasources: %v", err)
	}
}

// checkRouted fails the test unless the event was processed by the Paris
// rule and the issue carries the support group in Jira.
func (f *faultFixture) checkRouted(t *testing.T, key string, ev httpapi.EventBody) {
	t.Helper()
	if ev.Status != string(fieldlink.EventProcessed) {
		t.Errorf("%s: status %s, want processed; outcome %s", key, ev.Status, describeOutcome(ev.Outcome))
		return
	}
	if ev.Outcome == nil || ev.Outcome.Rule != f.ruleName {
		t.Errorf("%s: outcome %s, want rule %q", key, describeOutcome(ev.Outcome), f.ruleName)
	}
	fields, ok := f.emulators.Jira.Issue(key)
	if !ok {
		t.Fatalf("%s is not in Jira's emulator", key)
	}
	raw, _ := json.Marshal(fields[f.supportKey])
	if !strings.Contains(string(raw), "EMEA Service Desk") {
		t.Errorf("%s: %s = %s, want EMEA Service Desk", key, f.supportKey, raw)
	}
}

// checkReason fails the test unless the reason contains every part.
func checkReason(t *testing.T, label, reason string, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(reason, part) {
			t.Errorf("%s %q does not contain %q", label, reason, part)
		}
	}
}

// describeOutcome formats an outcome for a failure message.
func describeOutcome(o *fieldlink.Outcome) string {
	if o == nil {
		return "(none)"
	}
	raw, _ := json.Marshal(o)
	return string(raw)
}

// restartableServer serves a handler on a loopback port that stays the
// same across Stop and Start, so a client configured with its URL meets
// "connection refused" while it is stopped.
type restartableServer struct {
	handler http.Handler
	addr    string

	mu  sync.Mutex
	srv *http.Server
}

func startRestartable(t *testing.T, h http.Handler) *restartableServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &restartableServer{handler: h, addr: ln.Addr().String()}
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL returns the server's base URL.
func (s *restartableServer) URL() string {
	return "http://" + s.addr
}

// Stop closes the listener and every connection.
func (s *restartableServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Start listens on the same port again.
func (s *restartableServer) Start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatalf("listen on %s again: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *restartableServer) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
}
