package main

// These tests take the database away from a running "fieldlink serve"
// process, the program a user runs, rather than from a server started
// inside the test. A full disk needs the process in a mount namespace of
// its own, and a process shows from the outside how it recovers without a
// restart. Jira's webhooks pass through a recording proxy, so the tests see
// every status the intake returned.

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/internal/pgtest"
)

const faultsToken = "database-faults-admin-token-0123456789"

// faultTickets is the number of tickets Jira creates while the database is
// away.
const faultTickets = 3

// faultProcess is a "fieldlink serve" process whose standard error goes to
// a file that the test prints when it fails.
type faultProcess struct {
	cmd     *exec.Cmd
	addr    string
	api     *apiclient.Client
	logPath string
}

// startFaultServe starts cmd, which runs "fieldlink serve --listen addr",
// and waits until it serves. The process is killed when the test ends.
func startFaultServe(t *testing.T, cmd *exec.Cmd, addr string) *faultProcess {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd.Stderr = logFile
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
	t.Cleanup(func() {
		if t.Failed() {
			printLogTail(t, logPath)
		}
	})

	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if strings.HasPrefix(scanner.Text(), "fieldlink is serving on") {
			go io.Copy(io.Discard, stdout)
			return &faultProcess{cmd: cmd, addr: addr, api: &apiclient.Client{BaseURL: "http://" + addr, Token: faultsToken}, logPath: logPath}
		}
	}
	cmd.Wait()
	printLogTail(t, logPath)
	t.Fatalf("serve stopped before serving: %v", cmd.ProcessState)
	return nil
}

// printLogTail logs the last records of the serve log, leaving out River's
// "Error fetching jobs", which it logs about ten times a second while the
// database is away.
func printLogTail(t *testing.T, path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Logf("read serve log: %v", err)
		return
	}
	var lines []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, "Error fetching jobs") {
			lines = append(lines, line)
		}
	}
	t.Logf("serve log, last %d records:\n%s", min(len(lines), 60), strings.Join(lines[max(0, len(lines)-60):], "\n"))
}

// waitLog waits until the process has logged a record that contains text.
func (p *faultProcess) waitLog(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, err := os.ReadFile(p.logPath)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve logged no record containing %q within 10s", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkAlive fails when the process has exited.
func (p *faultProcess) checkAlive(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("serve process is gone: %v", err)
	}
}

// readyz returns GET /readyz's status and body.
func (p *faultProcess) readyz(t *testing.T) (int, httpapi.ReadinessBody) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + p.addr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	var body httpapi.ReadinessBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode /readyz: %v", err)
	}
	return resp.StatusCode, body
}

// waitReadyz polls GET /readyz until it returns status with a database
// check that contains check.
func (p *faultProcess) waitReadyz(t *testing.T, status int, check string) httpapi.ReadinessBody {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, body := p.readyz(t)
		if got == status && strings.Contains(body.Checks.Database, check) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz = %d %+v, want %d with a database check containing %q", got, body, status, check)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// delivery is one webhook delivery and the intake's response.
type delivery struct {
	status int
	body   httpapi.IntakeBody
	// during reports whether the database was away when the response came.
	during bool
}

// deliveryRecorder is a reverse proxy between the Jira emulator and the
// intake that records every response.
type deliveryRecorder struct {
	mu         sync.Mutex
	deliveries []delivery
	away       bool
}

func startDeliveryRecorder(t *testing.T, intake string) (*deliveryRecorder, string) {
	t.Helper()
	target, err := url.Parse(intake)
	if err != nil {
		t.Fatal(err)
	}
	rec := &deliveryRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(strings.NewReader(string(raw)))
		var body httpapi.IntakeBody
		json.Unmarshal(raw, &body)

		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.deliveries = append(rec.deliveries, delivery{status: resp.StatusCode, body: body, during: rec.away})
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// setAway records whether the database is away from now on.
func (r *deliveryRecorder) setAway(away bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.away = away
}

func (r *deliveryRecorder) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

// countDuplicates counts the 202 responses to deliveries already stored.
func (r *deliveryRecorder) countDuplicates() int {
	n := 0
	for _, d := range r.all() {
		if d.status == http.StatusAccepted && d.body.Status == "duplicate" {
			n++
		}
	}
	return n
}

// countDuring counts the responses with status while the database was away.
func (r *deliveryRecorder) countDuring(status int) int {
	n := 0
	for _, d := range r.all() {
		if d.during && d.status == status {
			n++
		}
	}
	return n
}

// faultSite is the emulators and a configured serve process whose hook
// Jira delivers to through a recorder.
type faultSite struct {
	emulators *demo.Emulators
	serve     *faultProcess
	recorder  *deliveryRecorder
}

func configureFaultSite(t *testing.T, emulators *demo.Emulators, serve *faultProcess) *faultSite {
	t.Helper()
	hook, err := demo.Configure(context.Background(), serve.api, emulators, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	hookURL, err := url.Parse(hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	recorder, proxyURL := startDeliveryRecorder(t, "http://"+serve.addr)
	emulators.Jira.RegisterWebhook(proxyURL+hookURL.Path, hook.Secret)
	return &faultSite{emulators: emulators, serve: serve, recorder: recorder}
}

func startFaultEmulators(t *testing.T) *demo.Emulators {
	t.Helper()
	emulators, err := demo.StartEmulators(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulators.Close() })
	return emulators
}

var faultReporter = jiracloud.Account{Email: "amelie.laurent@fabrikam.example", DisplayName: "Amélie Laurent"}

// createInFlight creates a ticket whose field update Jira throttles once
// with a Retry-After of 2 seconds, and returns once the update was sent.
// The ticket's event is then stored and its processing waits inside the
// update, so the database goes away in the middle of it.
func (s *faultSite) createInFlight(t *testing.T) string {
	t.Helper()
	s.emulators.Jira.ThrottleNextEdits(1, "2")
	key, err := s.emulators.Jira.CreateIssue(context.Background(), faultReporter, "Printer offline before the fault")
	if err != nil {
		t.Fatalf("create %s: %v", key, err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for s.emulators.Jira.Requests()[jiracloud.EditPattern] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no field update within 10s", key)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return key
}

// createDuring creates faultTickets tickets at once and returns when the
// intake has responded 503 to each ticket's first delivery. Jira delivers
// a webhook again after a 5xx, for about 6 seconds in the emulator, so the
// returned function waits until the deliveries end and returns the keys.
func (s *faultSite) createDuring(t *testing.T) func() []string {
	t.Helper()
	keys := make([]string, faultTickets)
	errs := make([]error, faultTickets)
	var created sync.WaitGroup
	for i := range faultTickets {
		created.Go(func() {
			keys[i], errs[i] = s.emulators.Jira.CreateIssue(context.Background(), faultReporter, fmt.Sprintf("Printer offline during the fault %d", i+1))
		})
	}

	deadline := time.Now().Add(10 * time.Second)
	for s.recorder.countDuring(http.StatusServiceUnavailable) < faultTickets {
		if time.Now().After(deadline) {
			t.Fatalf("%d responses of 503 while the database was away, want at least %d", s.recorder.countDuring(http.StatusServiceUnavailable), faultTickets)
		}
		time.Sleep(5 * time.Millisecond)
	}

	return func() []string {
		t.Helper()
		created.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s: no delivery was accepted after the database came back: %v", keys[i], err)
			}
		}
		return keys
	}
}

// checkProcessedOnce checks that every ticket has one stored event, that it
// was processed, and that its issue got one edit and one comment.
func (s *faultSite) checkProcessedOnce(t *testing.T, keys []string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for _, key := range keys {
		for {
			page, err := s.serve.api.FindEvents(ctx, fieldlink.EventFilter{IssueKey: key})
			if err != nil {
				t.Fatalf("find events of %s: %v", key, err)
			}
			if len(page.Items) != 1 {
				t.Errorf("%s: %d stored events, want 1", key, len(page.Items))
				break
			}
			ev := page.Items[0]
			if ev.Status == string(fieldlink.EventProcessed) {
				break
			}
			if ev.Status == string(fieldlink.EventFailed) || time.Now().After(deadline) {
				t.Errorf("%s: status %s with outcome %s, want processed", key, ev.Status, outcomeJSON(ev.Outcome))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := len(s.emulators.Jira.Edits(key)); n != 1 {
			t.Errorf("%s: %d edits, want exactly 1", key, n)
		}
		if n := len(s.emulators.Jira.Comments(key)); n != 1 {
			t.Errorf("%s: %d comments, want exactly 1", key, n)
		}
	}
}

// checkAcceptedStored checks that every 202 response of the intake names
// an event that was stored and processed, so no delivery got a 202 for an
// event that was not stored.
func (s *faultSite) checkAcceptedStored(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, d := range s.recorder.all() {
		if d.status != http.StatusAccepted || d.body.Status != "accepted" {
			continue
		}
		ev, err := s.serve.api.GetEvent(ctx, d.body.Event)
		if err != nil {
			t.Errorf("event %d of a 202 response (during the fault: %v) is not stored: %v", d.body.Event, d.during, err)
			continue
		}
		if ev.Status != string(fieldlink.EventProcessed) {
			t.Errorf("event %d (%s) of a 202 response is %s, want processed", ev.ID, ev.IssueKey, ev.Status)
		}
	}
}

// checkEventsHaveJobs checks in the database that every event has its
// processing job and every job its event, so no intake was half-saved.
// count runs a SELECT count(*) query. eventIDOfJob is the SQL expression
// of the event ID in a job j's arguments.
func checkEventsHaveJobs(t *testing.T, count func(query string) (int, error), eventIDOfJob string, wantEvents int) {
	t.Helper()
	counts := map[string]int{}
	for name, query := range map[string]string{
		"events":        `SELECT count(*) FROM events`,
		"jobs":          `SELECT count(*) FROM river_job`,
		"orphan events": `SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM river_job j WHERE ` + eventIDOfJob + ` = e.id)`,
		"orphan jobs":   `SELECT count(*) FROM river_job j WHERE NOT EXISTS (SELECT 1 FROM events e WHERE ` + eventIDOfJob + ` = e.id)`,
	} {
		n, err := count(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		counts[name] = n
	}
	if counts["events"] != wantEvents || counts["jobs"] != wantEvents {
		t.Errorf("%d events and %d jobs stored, want %d of each", counts["events"], counts["jobs"], wantEvents)
	}
	if counts["orphan events"] != 0 || counts["orphan jobs"] != 0 {
		t.Errorf("%d events without a job and %d jobs without an event, want none", counts["orphan events"], counts["orphan jobs"])
	}
}

func outcomeJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// canMountTmpfs reports whether this process may mount a tmpfs in a private
// mount namespace, and why not.
func canMountTmpfs(t *testing.T) (bool, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return false, "it needs root (or CAP_SYS_ADMIN) to mount a tmpfs in a private mount namespace with unshare -m"
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return false, "it needs unshare from util-linux on the PATH"
	}
	dir := t.TempDir()
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput()
	if err != nil {
		return false, fmt.Sprintf("unshare -m with mount -t tmpfs failed (%v: %s): it needs permission to create mount namespaces", err, strings.TrimSpace(string(out)))
	}
	return true, ""
}

// fillDisk writes a file into dir until its filesystem is full, and
// returns the file's path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v, want it to stop with ENOSPC", dir, err)
			}
			return path
		}
	}
}

// checkRecovered checks a site after the fault has ended: a delivery made
// during the fault that Jira sends again is a duplicate, the in-flight
// ticket and those created during the fault are processed exactly once, and
// every delivery answered 202 is stored. fault describes the fault for the
// log, and unavailable is how many deliveries got 503 during it. It returns
// the keys of the issues checked.
func (s *faultSite) checkRecovered(t *testing.T, serve *faultProcess, emulators *demo.Emulators, inFlight string, during []string, fault string, unavailable int) []string {
	t.Helper()
	if err := emulators.Jira.Redeliver(context.Background(), during[0]); err != nil {
		t.Errorf("redeliver %s after the fault ended: %v", during[0], err)
	}
	if n := s.recorder.countDuplicates(); n != 1 {
		t.Errorf("%d deliveries got 202 duplicate, want 1 for the redelivered %s", n, during[0])
	}

	keys := append([]string{inFlight}, during...)
	s.checkProcessedOnce(t, keys)
	s.checkAcceptedStored(t)
	serve.checkAlive(t)
	t.Logf("%d deliveries got 503 while %s, %d deliveries in all", unavailable, fault, len(s.recorder.all()))
	return keys
}

func TestDiskFullRefusesWebhooksThenRecovers(t *testing.T) {
	if ok, reason := canMountTmpfs(t); !ok {
		t.Skip("the full-disk test cannot run: " + reason)
	}
	emulators := startFaultEmulators(t)

	// The data folder is a small tmpfs that only the serve process sees,
	// so no mount outlives it. The test reaches that tmpfs through the
	// process's root directory in /proc.
	dataDir, addr := t.TempDir(), freeAddr(t)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs -o size=8m,mode=0700 tmpfs "$1" && shift && exec "$@"`, "sh", dataDir,
		binary, "serve", "--listen", addr, "--data", dataDir, "--allow-loopback")
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+faultsToken)
	serve := startFaultServe(t, cmd, addr)
	mounted := fmt.Sprintf("/proc/%d/root%s", cmd.Process.Pid, dataDir)
	site := configureFaultSite(t, emulators, serve)

	inFlight := site.createInFlight(t)
	filler := fillDisk(t, mounted)
	site.recorder.setAway(true)

	body := serve.waitReadyz(t, http.StatusServiceUnavailable, "the disk holding the database is full")
	t.Logf("/readyz while the disk is full: %+v", body)
	waitCreated := site.createDuring(t)

	// The in-flight ticket's attempt ends, with Jira written and its
	// outcome not stored, before space comes back.
	serve.waitLog(t, "record outcome of event")
	serve.checkAlive(t)
	unavailable := site.recorder.countDuring(http.StatusServiceUnavailable)

	site.recorder.setAway(false)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	serve.waitReadyz(t, http.StatusOK, "ok")
	keys := site.checkRecovered(t, serve, emulators, inFlight, waitCreated(), "the disk was full", unavailable)

	db, err := sql.Open("sqlite", copyDatabase(t, serve.cmd.Process, mounted))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(query string) (n int, err error) { return n, db.QueryRow(query).Scan(&n) }
	checkEventsHaveJobs(t, count, `(j.args ->> '$.eventId')`, len(keys))
}

// copyDatabase copies the SQLite file and its WAL from dir, in the serve
// process's mount namespace, to a folder of the test while the process is
// stopped, so the copy holds whole transactions. SQLite would resolve the
// /proc/<pid>/root link in dir to this namespace's file, so the test reads
// the copy instead.
func copyDatabase(t *testing.T, process *os.Process, dir string) string {
	t.Helper()
	if err := process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer process.Signal(syscall.SIGCONT)

	copyDir := t.TempDir()
	for _, name := range []string{"fieldlink.db", "fieldlink.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("copy the database: %v", err)
		}
		if err := os.WriteFile(filepath.Join(copyDir, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(copyDir, "fieldlink.db")
}

// cuttableProxy forwards TCP connections to a target until Cut closes them
// all and rejects new ones. Restore accepts connections again on the same
// address.
type cuttableProxy struct {
	target string

	mu       sync.Mutex
	addr     string
	listener net.Listener
	conns    map[net.Conn]struct{}
}

func startCuttableProxy(t *testing.T, target string) *cuttableProxy {
	t.Helper()
	p := &cuttableProxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Cut)
	return p
}

// Restore listens on the proxy's address again.
func (p *cuttableProxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	listener, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", p.addr, err)
	}
	p.listener, p.addr = listener, listener.Addr().String()
	go p.accept(listener)
	return nil
}

// Cut closes every connection and stops listening, so new connections are
// rejected.
func (p *cuttableProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cuttableProxy) accept(listener net.Listener) {
	for {
		client, err := listener.Accept()
		if err != nil {
			return
		}
		go p.forward(client)
	}
}

func (p *cuttableProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	go func() {
		io.Copy(server, client)
		server.Close()
	}()
	io.Copy(client, server)
	client.Close()
}

// track records both ends of a forwarded connection, or closes them when a
// Cut came first.
func (p *cuttableProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func TestPostgresOutageRefusesWebhooksThenRecovers(t *testing.T) {
	database := pgtest.NewDatabase(t)
	direct, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startCuttableProxy(t, direct.Host)
	proxied := *direct
	proxied.Host = proxy.addr

	emulators := startFaultEmulators(t)
	key := make([]byte, 32)
	rand.Read(key)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--listen", addr, "--data", t.TempDir(), "--database", proxied.String(), "--allow-loopback")
	cmd.Env = append(os.Environ(), "FIELDLINK_ADMIN_TOKEN="+faultsToken, "FIELDLINK_MASTER_KEY="+base64.StdEncoding.EncodeToString(key))
	serve := startFaultServe(t, cmd, addr)
	site := configureFaultSite(t, emulators, serve)

	inFlight := site.createInFlight(t)
	proxy.Cut()
	site.recorder.setAway(true)

	body := serve.waitReadyz(t, http.StatusServiceUnavailable, "the database server cannot be reached")
	if body.Database != "postgres" {
		t.Errorf("/readyz database = %q, want postgres", body.Database)
	}
	waitCreated := site.createDuring(t)

	// The outage lasts until the in-flight ticket's attempt has written
	// to Jira and failed to store its outcome.
	serve.waitLog(t, "record outcome of event")
	serve.checkAlive(t)
	unavailable := site.recorder.countDuring(http.StatusServiceUnavailable)
	if accepted := site.recorder.countDuring(http.StatusAccepted); accepted != 0 {
		t.Errorf("%d deliveries got 202 while PostgreSQL was unreachable, want none", accepted)
	}

	site.recorder.setAway(false)
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	serve.waitReadyz(t, http.StatusOK, "ok")
	keys := site.checkRecovered(t, serve, emulators, inFlight, waitCreated(), "PostgreSQL was unreachable", unavailable)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(query string) (n int, err error) { return n, conn.QueryRow(ctx, query).Scan(&n) }
	checkEventsHaveJobs(t, count, `(j.args->>'eventId')::bigint`, len(keys))
}
