package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
)

const (
	replicaToken = "replicas-admin-token-0123456789"

	// replicaJobTimeout is the replicas' --job-timeout. River's rescuer
	// hands a job that a killed replica left running to another replica
	// once it has run for twice this.
	replicaJobTimeout = 3 * time.Second
)

// replica is one "fieldlink serve" process of several that share a
// PostgreSQL database.
type replica struct {
	name string
	url  string
	api  *apiclient.Client
	cmd  *exec.Cmd
	// logPath is the file that receives the process's standard error.
	logPath string
}

// startReplicas starts n serve processes on the database at once, as an
// orchestrator starting a deployment would, with the same master key and
// admin token and a data folder each. They are killed when the test ends.
func startReplicas(t *testing.T, database string, n int) []*replica {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	masterKey := base64.StdEncoding.EncodeToString(key)

	replicas := make([]*replica, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		name, dataDir, addr := fmt.Sprintf("replica-%c", 'a'+i), t.TempDir(), freeAddr(t)
		wg.Go(func() {
			replicas[i], errs[i] = startReplica(name, dataDir, addr, database, masterKey)
		})
	}
	wg.Wait()

	for _, r := range replicas {
		if r != nil {
			t.Cleanup(func() { r.kill() })
			t.Cleanup(func() { r.logOnFailure(t) })
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return replicas
}

// startReplica starts one serve process listening on addr and waits until
// it serves.
func startReplica(name, dataDir, addr, database, masterKey string) (*replica, error) {
	logPath := filepath.Join(dataDir, "stderr.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.Command(binary, "serve", "--listen", addr, "--data", dataDir, "--database", database,
		"--job-timeout", replicaJobTimeout.String(), "--allow-loopback", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "FIELDLINK_MASTER_KEY="+masterKey, "FIELDLINK_ADMIN_TOKEN="+replicaToken)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	r := &replica{name: name, url: "http://" + addr, cmd: cmd, logPath: logPath,
		api: &apiclient.Client{BaseURL: "http://" + addr, Token: replicaToken}}

	serving := make(chan bool, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
				serving <- true
				io.Copy(io.Discard, stdout)
				return
			}
		}
		serving <- false
	}()

	select {
	case ok := <-serving:
		if ok {
			return r, nil
		}
		r.kill()
		return nil, fmt.Errorf("%s stopped before serving:\n%s", name, r.logs())
	case <-time.After(30 * time.Second):
		r.kill()
		return nil, fmt.Errorf("%s did not serve within 30s:\n%s", name, r.logs())
	}
}

// kill stops the process with SIGKILL, as a crash or an OOM kill would. A
// process already stopped is left alone.
func (r *replica) kill() {
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

func (r *replica) logs() string {
	raw, _ := os.ReadFile(r.logPath)
	return string(raw)
}

// logOnFailure adds the replica's log to the output of a failed test.
func (r *replica) logOnFailure(t *testing.T) {
	if t.Failed() {
		t.Logf("log of %s:\n%s", r.name, r.logs())
	}
}

// testEmulators are the Entra ID, Graph and Jira emulators of the demo,
// started here so the test can set Jira's latency and rotate the app's
// client secret in Entra ID.
type testEmulators struct {
	*demo.Emulators

	// mu guards entras, every Entra ID emulator started so far, the
	// current one last. Graph accepts tokens from all of them, as Graph
	// accepts a token until it expires even after the secret it was issued
	// for is gone.
	mu     sync.Mutex
	entras []*entra.Server
}

// startTestEmulators starts the emulators on loopback. Jira delays each
// REST response by jiraLatency.
func startTestEmulators(t *testing.T, jiraLatency time.Duration) *testEmulators {
	t.Helper()
	e := &testEmulators{Emulators: &demo.Emulators{ClientSecret: randomText(), JiraAPIToken: randomText()}}
	e.Entra = e.newEntra(e.ClientSecret)
	e.entras = []*entra.Server{e.Entra}

	e.Graph = graph.New(graph.Options{Users: graph.SampleDirectory(), VerifyToken: e.verifyToken})
	e.Jira = jiracloud.New(jiracloud.Options{
		SiteName: "fabrikam-replicas",
		APIUsers: map[string]string{demo.JiraEmail: e.JiraAPIToken},
		Latency:  jiraLatency,
	})
	e.Jira.AddOptions("customfield_10050", "EMEA Service Desk", "Americas Service Desk", "APAC Service Desk")
	e.Jira.AddOptions("customfield_10051", "Paris", "London", "New York", "Singapore")

	entraServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.currentEntra().ServeHTTP(w, r)
	}))
	graphServer := httptest.NewServer(e.Graph)
	jiraServer := httptest.NewServer(e.Jira)
	t.Cleanup(func() {
		e.Jira.Close()
		jiraServer.Close()
		graphServer.Close()
		entraServer.Close()
	})

	e.EntraURL, e.GraphURL, e.JiraURL = entraServer.URL, graphServer.URL, jiraServer.URL
	e.Jira.SetBaseURL(e.JiraURL)
	return e
}

// newEntra returns an Entra ID emulator of the demo tenant whose app has
// the client secret.
func (e *testEmulators) newEntra(secret string) *entra.Server {
	return entra.New(entra.Options{
		TenantID: demo.TenantID,
		Apps: []entra.App{{
			ClientID:     demo.ClientID,
			DisplayName:  "fieldlink replicas",
			ClientSecret: secret,
			SecretID:     demo.SecretID,
			Roles:        []string{"User.Read.All"},
		}},
	})
}

func (e *testEmulators) currentEntra() *entra.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.entras[len(e.entras)-1]
}

// rotateSecret replaces the app's client secret in Entra ID with a new one
// and returns it: from now on the token endpoint rejects the old secret.
func (e *testEmulators) rotateSecret() (string, *entra.Server) {
	secret := randomText()
	server := e.newEntra(secret)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.entras = append(e.entras, server)
	return secret, server
}

// verifyToken accepts a token that any of the Entra ID emulators issued.
func (e *testEmulators) verifyToken(raw string) ([]string, error) {
	e.mu.Lock()
	entras := append([]*entra.Server(nil), e.entras...)
	e.mu.Unlock()

	var err error
	for _, server := range entras {
		var claims entra.Claims
		if claims, err = server.VerifyToken(raw, entra.DefaultResource); err == nil {
			return claims.Roles, nil
		}
	}
	return nil, err
}

func randomText() string {
	buf := make([]byte, 24)
	rand.Read(buf)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// webhookBalancer forwards Jira's webhook deliveries to the replicas in
// turn, as a load balancer in front of them would. A delivery that Jira
// sends again (the same X-Atlassian-Webhook-Identifier) goes to the replica
// after the one that had it last, so every repeat reaches another replica.
// A replica that cannot be reached makes the balancer respond 502, which
// Jira retries.
type webhookBalancer struct {
	targets []string
	client  *http.Client

	mu sync.Mutex
	// next is the replica that receives the next new delivery.
	next int
	// lastTarget is the replica that received each delivery last, by
	// identifier.
	lastTarget map[string]int
	// forwarded counts the requests each replica responded to, and
	// unreachable the ones it could not be reached for.
	forwarded   []int
	unreachable []int
}

func newWebhookBalancer(replicas []*replica) *webhookBalancer {
	b := &webhookBalancer{
		client:      &http.Client{Timeout: 10 * time.Second},
		lastTarget:  map[string]int{},
		forwarded:   make([]int, len(replicas)),
		unreachable: make([]int, len(replicas)),
	}
	for _, r := range replicas {
		b.targets = append(b.targets, r.url)
	}
	return b
}

// choose returns the replica for a delivery with the identifier.
func (b *webhookBalancer) choose(identifier string) int {
	b.mu.Lock()
	defer b.mu.Unlock()

	target, seen := b.lastTarget[identifier]
	if seen {
		target = (target + 1) % len(b.targets)
	} else {
		target = b.next
		b.next = (b.next + 1) % len(b.targets)
	}
	b.lastTarget[identifier] = target
	return target
}

func (b *webhookBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	target := b.choose(r.Header.Get("X-Atlassian-Webhook-Identifier"))

	req, err := http.NewRequestWithContext(r.Context(), r.Method, b.targets[target]+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := b.client.Do(req)
	if err != nil {
		b.count(b.unreachable, target)
		http.Error(w, "replica unreachable: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	b.count(b.forwarded, target)

	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (b *webhookBalancer) count(counts []int, target int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	counts[target]++
}

// counts returns copies of the forwarded and unreachable counts.
func (b *webhookBalancer) counts() (forwarded, unreachable []int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.forwarded...), append([]int(nil), b.unreachable...)
}

// hookPath returns the path of a hook URL, which the balancer serves.
func hookPath(t *testing.T, hookURL string) string {
	t.Helper()
	u, err := url.Parse(hookURL)
	if err != nil {
		t.Fatalf("hook URL %q: %v", hookURL, err)
	}
	return u.Path
}

func TestReplicasProcessEveryTicketOnce(t *testing.T) {
	const tickets = 500
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	database := pgtest.NewDatabase(t)
	// Jira's latency keeps every worker busy while webhooks arrive, so the
	// killed replica leaves events running.
	emulators := startTestEmulators(t, 20*time.Millisecond)
	replicas := startReplicas(t, database, 3)
	api := replicas[0].api

	hook, err := demo.Configure(ctx, api, emulators.Emulators, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	balancer := newWebhookBalancer(replicas)
	front := httptest.NewServer(balancer)
	t.Cleanup(front.Close)
	emulators.Jira.RegisterWebhook(front.URL+hookPath(t, hook.URL), hook.Secret)

	// Every reporter works in an office that a rule routes.
	groups := map[string]string{"Paris": "EMEA Service Desk", "London": "EMEA Service Desk", "New York": "Americas Service Desk", "Singapore": "APAC Service Desk"}
	officeOf := map[string]string{}
	var reporters []jiracloud.Account
	for _, u := range graph.SampleDirectory() {
		if _, routed := groups[u.OfficeLocation]; !routed || u.Mail == "" {
			continue
		}
		officeOf[u.Mail] = u.OfficeLocation
		reporters = append(reporters, jiracloud.Account{AccountID: "712020:" + u.ID, DisplayName: u.DisplayName, Email: u.Mail})
	}

	var (
		keysMu sync.Mutex
		keys   []string
	)
	// send files tickets first to last-1 through 8 concurrent senders, and
	// has Jira deliver every tenth one a second time, which the balancer
	// sends to another replica.
	send := func(first, last int) error {
		numbers := make(chan int)
		errs := make(chan error, last-first)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for n := range numbers {
					key, err := emulators.Jira.CreateIssue(ctx, reporters[n%len(reporters)], "Printer on my floor is offline")
					if err == nil && n%10 == 0 {
						err = emulators.Jira.Redeliver(ctx, key)
					}
					if err != nil {
						errs <- fmt.Errorf("ticket %d (%s): %w", n+1, key, err)
					}
					if key != "" {
						keysMu.Lock()
						keys = append(keys, key)
						keysMu.Unlock()
					}
				}
			})
		}
		for n := first; n < last; n++ {
			numbers <- n
		}
		close(numbers)
		wg.Wait()
		close(errs)

		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return errors.Join(all...)
	}

	started := time.Now()
	if err := send(0, tickets/2); err != nil {
		t.Fatalf("deliveries before the kill: %v", err)
	}

	// Kill a replica once about a third of the tickets are processed, with
	// the rest of the first half waiting or running, then file the second
	// half. The balancer still sends every third new delivery to the dead
	// replica, and Jira's retry reaches a live one.
	processedAtKill := waitProcessed(ctx, t, api, tickets/3)
	leaderAtKill := riverLeader(ctx, t, database)
	killed := replicas[2]
	killed.kill()
	killedAt := time.Now()
	t.Logf("killed %s %s after the start, with %d of %d events processed", killed.name, killedAt.Sub(started).Round(time.Millisecond), processedAtKill, tickets)

	if err := send(tickets/2, tickets); err != nil {
		t.Fatalf("deliveries after the kill: %v", err)
	}
	// Deliveries of the first half again, some of them first sent to the
	// replica that is gone.
	for i := 1; i < tickets/2; i += 25 {
		if err := emulators.Jira.Redeliver(ctx, keys[i]); err != nil {
			t.Fatalf("redeliver %s after the kill: %v", keys[i], err)
		}
	}
	sentAt := time.Now()

	events := waitAllFinished(ctx, t, api, tickets)
	finishedAt := time.Now()
	t.Logf("%d tickets: all delivered %s after the start, all processed after %s (%s after the kill)",
		tickets, sentAt.Sub(started).Round(time.Millisecond), finishedAt.Sub(started).Round(time.Millisecond), finishedAt.Sub(killedAt).Round(time.Millisecond))
	forwarded, unreachable := balancer.counts()
	t.Logf("webhook requests per replica: %v forwarded, %v not reached", forwarded, unreachable)

	if len(keys) != tickets {
		t.Fatalf("%d tickets filed, want %d", len(keys), tickets)
	}
	if unreachable[2] == 0 {
		t.Errorf("no delivery reached the killed replica after the kill, so no retry to a live replica was exercised")
	}

	byKey := map[string]eventView{}
	for _, ev := range events {
		if _, dup := byKey[ev.IssueKey]; dup {
			t.Errorf("%s stored twice", ev.IssueKey)
		}
		byKey[ev.IssueKey] = ev
	}
	if len(events) != tickets {
		t.Errorf("%d events stored, want %d", len(events), tickets)
	}

	for _, key := range keys {
		ev, ok := byKey[key]
		if !ok {
			t.Errorf("%s: no event stored", key)
			continue
		}
		if ev.Status != string(fieldlink.EventProcessed) || ev.Outcome == nil {
			t.Errorf("%s: status %q outcome %+v, want processed with an outcome", key, ev.Status, ev.Outcome)
			continue
		}

		issue, _ := emulators.Jira.Issue(key)
		reporter, _ := issue["reporter"].(map[string]any)
		email, _ := reporter["emailAddress"].(string)
		office := officeOf[email]
		if edits := emulators.Jira.Edits(key); len(edits) != 1 {
			t.Errorf("%s (%s): %d edit requests, want exactly 1", key, email, len(edits))
		}
		if comments := emulators.Jira.Comments(key); len(comments) != 1 {
			t.Errorf("%s (%s): %d comments, want exactly 1", key, email, len(comments))
		}
		if got := describeOption(issue["customfield_10050"]); got != groups[office] {
			t.Errorf("%s (%s): support group %q, want %q", key, email, got, groups[office])
		}
		if got := describeOption(issue["customfield_10051"]); got != office {
			t.Errorf("%s (%s): queue %q, want %q", key, email, got, office)
		}
	}

	rescues := rescuedJobs(ctx, t, database)
	if len(rescues) == 0 {
		t.Fatalf("no job was rescued: the killed replica left no event running, so the hand-over went untested")
	}
	first, last := rescues[0].at, rescues[len(rescues)-1].at
	clients := map[string]bool{}
	for _, r := range rescues {
		clients[r.client] = true
	}
	leader := "was not"
	if clients[leaderAtKill] {
		leader = "was"
	}
	t.Logf("River's rescuer handed %d jobs that the killed replica left running to the other replicas, %s to %s after the kill; the killed replica %s River's leader",
		len(rescues), first.Sub(killedAt).Round(time.Millisecond), last.Sub(killedAt).Round(time.Millisecond), leader)
	if len(clients) != 1 {
		t.Errorf("jobs were rescued from %d River clients %v, want only the killed replica's", len(clients), clients)
	}
	// A job runs for at most the job timeout, and is rescued once it has
	// been running for twice that, so no rescue comes sooner after the kill.
	if early := first.Sub(killedAt); early < replicaJobTimeout {
		t.Errorf("a job was rescued %s after the kill, before it could have been running for twice the job timeout (%s)", early, 2*replicaJobTimeout)
	}
}

// rescue is a River job that the rescuer handed back.
type rescue struct {
	// client is the River client that had been running the job.
	client string
	at     time.Time
}

// rescuedJobs returns the River jobs that the rescuer handed back, in the
// order of their rescue.
func rescuedJobs(ctx context.Context, t *testing.T, database string) []rescue {
	t.Helper()
	conn, err := pgx.Connect(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	rows, err := conn.Query(ctx, `
		SELECT attempted_by[(e->>'attempt')::int], (e->>'at')::timestamptz AS at
		FROM river_job, unnest(errors) AS e
		WHERE e->>'error' LIKE 'Stuck job rescued%'
		ORDER BY at`)
	if err != nil {
		t.Fatalf("read rescued River jobs: %v", err)
	}
	rescues, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rescue, error) {
		var r rescue
		err := row.Scan(&r.client, &r.at)
		return r, err
	})
	if err != nil {
		t.Fatalf("read rescued River jobs: %v", err)
	}
	return rescues
}

// riverLeader returns the ID of the River client that is the leader now,
// which runs the rescuer.
func riverLeader(ctx context.Context, t *testing.T, database string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var leader string
	if err := conn.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&leader); err != nil {
		t.Fatalf("read River's leader: %v", err)
	}
	return leader
}

func TestReplicasSeeConfigChanges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	emulators := startTestEmulators(t, 0)
	replicas := startReplicas(t, pgtest.NewDatabase(t), 2)
	a, b := replicas[0], replicas[1]

	// Configure on A: the Graph datasource and an item that caches its
	// result for five minutes.
	dsBody := httpapi.DatasourceBody{
		Name:           "Microsoft Graph",
		BaseURL:        emulators.GraphURL + "/v1.0",
		TestPath:       "/users?$top=1&$select=id",
		TimeoutSeconds: 10,
		Auth: httpapi.AuthBody{
			Mode:                 "oauth2-client-credentials",
			TokenURL:             emulators.TokenURL(),
			ClientID:             demo.ClientID,
			ClientSecret:         emulators.ClientSecret,
			ClientAuthentication: "body",
			Scopes:               []string{demo.GraphScope},
		},
	}
	ds, err := a.api.CreateDatasource(ctx, dsBody)
	if err != nil {
		t.Fatal(err)
	}
	cacheSeconds := 300
	itemBody := httpapi.ItemBody{
		Name:         demo.ItemName,
		Datasource:   ds.ID,
		Type:         "read-only",
		Request:      httpapi.ItemRequestBody{Method: "GET", Path: "/users?$filter=mail eq '${reporter.emailAddress}'&$select=displayName,officeLocation"},
		Root:         "$.value[*]",
		Template:     "${row.officeLocation}",
		CacheSeconds: &cacheSeconds,
	}
	it, err := a.api.CreateItem(ctx, itemBody)
	if err != nil {
		t.Fatal(err)
	}

	user := graph.SampleDirectory()[0]
	tc := fieldlink.TicketContext{Reporter: &fieldlink.User{AccountID: "712020:" + user.ID, EmailAddress: user.Mail}}
	lookup := func() (fieldlink.ItemResult, int) {
		t.Helper()
		before := emulators.Graph.Requests()
		result, err := b.api.EvaluateItem(ctx, it.ID, tc)
		if err != nil {
			t.Fatalf("lookup on %s: %v", b.name, err)
		}
		return result, emulators.Graph.Requests() - before
	}

	// B looks the reporter up once and then serves the result from its
	// cache.
	if result, requests := lookup(); requests != 1 || result.Text != user.OfficeLocation {
		t.Fatalf("first lookup on %s: %q with %d Graph requests, want %q with 1", b.name, result.Text, requests, user.OfficeLocation)
	}
	if result, requests := lookup(); requests != 0 || result.Text != user.OfficeLocation {
		t.Fatalf("second lookup on %s: %q with %d Graph requests, want %q from the cache", b.name, result.Text, requests, user.OfficeLocation)
	}

	t.Run("item change drops the cached result", func(t *testing.T) {
		// The request stays the same, so only the notification of the
		// change makes B send it again. B keeps looking up while A saves
		// the change, and the log shows by when B had read the new
		// template and by when it had dropped its cached result.
		changed := itemBody
		changed.Template = "${row.displayName}: ${row.officeLocation}"
		want := user.DisplayName + ": " + user.OfficeLocation

		saved := make(chan error, 1)
		var answeredAt time.Time
		sentAt := time.Now()
		go func() {
			err := putJSON(ctx, a, "/api/v1/items/"+it.ID, changed)
			answeredAt = time.Now()
			saved <- err
		}()

		var (
			answered             bool
			lookups              int
			newSeenBy, droppedBy time.Duration
		)
		deadline := sentAt.Add(10 * time.Second)
		for {
			lookupAt := time.Now()
			result, requests := lookup()
			lookupEnd := time.Since(sentAt)
			lookups++

			if !answered {
				select {
				case err := <-saved:
					if err != nil {
						t.Fatal(err)
					}
					answered = true
				default:
				}
			}
			if answered && lookupAt.After(answeredAt) && result.Text != want {
				t.Fatalf("lookup %d on %s, after %s saved the change: %q, want %q", lookups, b.name, a.name, result.Text, want)
			}
			if result.Text == want && newSeenBy == 0 {
				newSeenBy = lookupEnd
			}
			if requests > 1 {
				t.Fatalf("lookup on %s sent %d Graph requests, want 0 or 1", b.name, requests)
			}
			// A lookup may read the item before the change commits and
			// find its cached result dropped after, so the first request
			// can still show the old template.
			if requests == 1 && droppedBy == 0 {
				droppedBy = lookupEnd
			}
			if answered && newSeenBy != 0 && droppedBy != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still serves the lookup from its cache 10s after the change on %s (%d lookups, saved: %v)", b.name, a.name, lookups, answered)
			}
			time.Sleep(time.Millisecond)
		}
		t.Logf("from sending the change to %s: %s answered after %s; %s had read the new template by %s and dropped its cached result by %s (%d lookups)",
			a.name, a.name, answeredAt.Sub(sentAt).Round(time.Microsecond), b.name,
			newSeenBy.Round(time.Microsecond), droppedBy.Round(time.Microsecond), lookups)

		if result, requests := lookup(); requests != 0 || result.Text != want {
			t.Errorf("lookup on %s after the new request: %q with %d Graph requests, want %q from the cache", b.name, result.Text, requests, want)
		}
	})

	t.Run("secret change reaches the next lookup", func(t *testing.T) {
		// Entra ID now accepts only the new secret. Tokens issued before
		// stay valid at Graph, so only a token request with the new secret
		// proves that B uses it.
		secret, rotated := emulators.rotateSecret()
		changed := dsBody
		changed.Auth.ClientSecret = secret
		if _, err := a.api.UpdateDatasource(ctx, ds.ID, changed); err != nil {
			t.Fatal(err)
		}
		changedAt := time.Now()
		tokensBefore := rotated.TokenRequests()

		result, requests := lookup()
		t.Logf("%s's first lookup after the change on %s ended %s after %s answered the change",
			b.name, a.name, time.Since(changedAt).Round(time.Microsecond), a.name)
		if tokens := rotated.TokenRequests() - tokensBefore; tokens != 1 {
			t.Errorf("lookup on %s after the secret change made %d token requests with the new secret, want 1", b.name, tokens)
		}
		if requests != 1 {
			t.Errorf("lookup on %s after the secret change sent %d Graph requests, want 1 (the cached result belongs to the old settings)", b.name, requests)
		}
		if want := user.DisplayName + ": " + user.OfficeLocation; result.Text != want {
			t.Errorf("lookup on %s after the secret change: %q, want %q", b.name, result.Text, want)
		}
	})
}

// putJSON sends body to the replica's admin API with PUT and fails unless
// it responds 200.
func putJSON(ctx context.Context, r *replica, path string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, r.url+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+replicaToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("PUT %s on %s: %w", path, r.name, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s on %s: %s: %s", path, r.name, resp.Status, answer)
	}
	return nil
}
