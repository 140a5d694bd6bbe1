package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/server"
)

// serverSizes sets the sizes of the benchmarks that drive a running server
// over HTTP: BenchmarkAPICachedLookup and BenchmarkTicketThroughput. The
// values are the full sizes; TestServerBenchmarksRunBriefly makes them
// small.
var serverSizes = struct {
	// reporters is the number of directory users who report tickets and
	// whose lookups the item caches.
	reporters int
	// loadDuration is how long each side of BenchmarkAPICachedLookup is
	// driven in one round.
	loadDuration time.Duration
	// tickets is the number of webhooks one round of
	// BenchmarkTicketThroughput sends.
	tickets int
	// senders is the number of webhooks in flight at once.
	senders int
}{
	reporters:    200,
	loadDuration: 5 * time.Second,
	tickets:      2000,
	senders:      16,
}

// Identities of the made-up tenant and Jira site the server benchmarks use.
const (
	benchTenantID     = "3d6f1c2a-8b4e-4f7a-9c15-7e2b0a9d4c61"
	benchClientID     = "9a7e2c41-5d3b-4e8f-b1a6-0c4d8e2f6b93"
	benchGraphScope   = "https://graph.microsoft.com/.default"
	benchGraphAud     = "https://graph.microsoft.com"
	benchJiraEmail    = "automation@fabrikam.example"
	benchItemName     = "Reporter office"
	benchSupportGroup = "customfield_10050"
	benchLocation     = "customfield_10051"
)

// benchOffice is an office of the made-up directory and the support group
// its tickets are routed to.
type benchOffice struct {
	name         string
	supportGroup string
}

var benchOffices = []benchOffice{
	{name: "Paris", supportGroup: "EMEA Service Desk"},
	{name: "London", supportGroup: "EMEA Service Desk"},
	{name: "New York", supportGroup: "Americas Service Desk"},
	{name: "Singapore", supportGroup: "APAC Service Desk"},
}

// benchReporter is a directory user who reports tickets.
type benchReporter struct {
	account jiracloud.Account
	office  benchOffice
}

// benchServerOptions configures startBenchServer.
type benchServerOptions struct {
	// Database is a postgres:// URL; empty means SQLite in a temporary
	// data folder.
	Database string
	// Reporters is the number of directory users, spread over the offices.
	Reporters int
	// Latency is added by the Graph and Jira emulators to every response.
	Latency time.Duration
}

// benchServer is a fieldlink server started by server.Start and configured
// through its REST API as an admin would. It has a Graph datasource with
// OAuth 2 client credentials, a Jira datasource, the item "Reporter office"
// (cached for an hour), one rule per office and a hook. The emulators of
// Entra ID, Graph and Jira Cloud serve it on loopback.
type benchServer struct {
	url string
	// admin calls the API with the admin token; apiToken is an API token
	// with the admin scope, created through POST /api/v1/tokens.
	admin    *apiclient.Client
	apiToken string

	item      httpapi.ItemBody
	hook      httpapi.HookBody
	reporters []benchReporter

	jira    *jiracloud.Server
	graph   *graph.Server
	edits   *jiraEditCounter
	capture *webhookCapture
}

// startBenchServer starts the emulators and the server, configures it and
// stops everything when tb ends.
func startBenchServer(tb testing.TB, opts benchServerOptions) *benchServer {
	tb.Helper()
	ctx := context.Background()
	clientSecret := benchSecret()
	jiraToken := benchSecret()

	entraServer := entra.New(entra.Options{
		TenantID:  benchTenantID,
		Resources: []string{benchGraphAud},
		Apps: []entra.App{{
			ClientID:     benchClientID,
			DisplayName:  "fieldlink benchmark",
			ClientSecret: clientSecret,
			Roles:        []string{"User.Read.All"},
		}},
	})
	entraURL := serveBenchEmulator(tb, entraServer)

	users, reporters := benchDirectory(opts.Reporters)
	graphServer := graph.New(graph.Options{
		Users: users,
		VerifyToken: func(raw string) ([]string, error) {
			claims, err := entraServer.VerifyToken(raw, benchGraphAud)
			return claims.Roles, err
		},
		Latency: opts.Latency,
	})
	graphURL := serveBenchEmulator(tb, graphServer)

	// The Jira emulator delivers webhooks through the capture, which keeps
	// each signed request for the benchmark to send to fieldlink itself.
	capture := newWebhookCapture()
	jiraServer := jiracloud.New(jiracloud.Options{
		SiteName:   "fabrikam-bench",
		APIUsers:   map[string]string{benchJiraEmail: jiraToken},
		Latency:    opts.Latency,
		HTTPClient: &http.Client{Transport: capture},
	})
	tb.Cleanup(jiraServer.Close)
	groups := map[string]bool{}
	for _, o := range benchOffices {
		jiraServer.AddOptions(benchLocation, o.name)
		if !groups[o.supportGroup] {
			groups[o.supportGroup] = true
			jiraServer.AddOptions(benchSupportGroup, o.supportGroup)
		}
	}
	edits := newJiraEditCounter(jiraServer)
	jiraURL := serveBenchEmulator(tb, edits)
	jiraServer.SetBaseURL(jiraURL)

	adminToken := "fl_" + benchSecret()
	key := make([]byte, 32)
	rand.Read(key)
	srv, err := server.Start(ctx, server.Config{
		Listen:        "127.0.0.1:0",
		DataDir:       tb.TempDir(),
		Database:      opts.Database,
		MasterKey:     base64.StdEncoding.EncodeToString(key),
		AdminToken:    adminToken,
		AllowLoopback: true,
		ForEmulators:  true,
	})
	if err != nil {
		tb.Fatalf("start fieldlink: %v", err)
	}
	tb.Cleanup(func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			tb.Errorf("stop fieldlink: %v", err)
		}
	})

	s := &benchServer{
		url:       srv.URL(),
		admin:     &apiclient.Client{BaseURL: srv.URL(), Token: adminToken},
		reporters: reporters,
		jira:      jiraServer,
		graph:     graphServer,
		edits:     edits,
		capture:   capture,
	}
	s.configure(tb, entraURL+"/"+benchTenantID+"/oauth2/v2.0/token", clientSecret, graphURL, jiraURL, jiraToken)
	jiraServer.RegisterWebhook(s.hook.URL, s.hook.Secret)
	return s
}

// configure creates the datasources, item, rules, hook and API token
// through the REST API.
func (s *benchServer) configure(tb testing.TB, tokenURL, clientSecret, graphURL, jiraURL, jiraToken string) {
	tb.Helper()
	ctx := context.Background()

	graphDS, err := s.admin.CreateDatasource(ctx, httpapi.DatasourceBody{
		Name:           "Microsoft Graph",
		BaseURL:        graphURL + "/v1.0",
		TimeoutSeconds: 10,
		Auth: httpapi.AuthBody{
			Mode:                 "oauth2-client-credentials",
			TokenURL:             tokenURL,
			ClientID:             benchClientID,
			ClientSecret:         clientSecret,
			ClientAuthentication: "body",
			Scopes:               []string{benchGraphScope},
		},
	})
	if err != nil {
		tb.Fatalf("create the Graph datasource: %v", err)
	}
	jiraDS, err := s.admin.CreateDatasource(ctx, httpapi.DatasourceBody{
		Name:    "Jira Cloud",
		BaseURL: jiraURL,
		Auth:    httpapi.AuthBody{Mode: "basic", Username: benchJiraEmail, Password: jiraToken},
	})
	if err != nil {
		tb.Fatalf("create the Jira datasource: %v", err)
	}

	cacheSeconds := 3600
	s.item, err = s.admin.CreateItem(ctx, httpapi.ItemBody{
		Name:       benchItemName,
		Datasource: graphDS.ID,
		Type:       "read-only",
		Request: httpapi.ItemRequestBody{
			Method: "GET",
			Path:   "/users?$filter=mail eq '${reporter.emailAddress}'&$select=displayName,officeLocation",
		},
		Root:         "$.value[*]",
		Template:     "${row.officeLocation}",
		CacheSeconds: &cacheSeconds,
	})
	if err != nil {
		tb.Fatalf("create the item %q: %v", benchItemName, err)
	}

	for i, o := range benchOffices {
		_, err := s.admin.CreateRule(ctx, httpapi.RuleBody{
			Name:      o.name + " office",
			Position:  (i + 1) * 10,
			Condition: fmt.Sprintf("items[%q] == %q", benchItemName, o.name),
			Fields: map[string]json.RawMessage{
				benchSupportGroup: benchSelectValue(o.supportGroup),
				benchLocation:     benchSelectValue(o.name),
			},
		})
		if err != nil {
			tb.Fatalf("create the rule for %s: %v", o.name, err)
		}
	}

	s.hook, err = s.admin.CreateHook(ctx, httpapi.HookBody{Name: "IT Help", JiraDatasource: jiraDS.ID})
	if err != nil {
		tb.Fatalf("create the hook: %v", err)
	}

	token, err := s.admin.CreateToken(ctx, "benchmark", auth.ScopeAdmin)
	if err != nil {
		tb.Fatalf("create an API token: %v", err)
	}
	s.apiToken = token.Secret
}

// benchDirectory returns n directory users spread over the offices in turn,
// and the same people as Jira reporters.
func benchDirectory(n int) ([]graph.User, []benchReporter) {
	users := make([]graph.User, 0, n)
	reporters := make([]benchReporter, 0, n)
	for i := range n {
		o := benchOffices[i%len(benchOffices)]
		mail := fmt.Sprintf("user%05d@fabrikam.example", i+1)
		users = append(users, graph.User{
			ID:                fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			DisplayName:       fmt.Sprintf("User %05d", i+1),
			Mail:              mail,
			UserPrincipalName: mail,
			OfficeLocation:    o.name,
			UserType:          "Member",
			AccountEnabled:    true,
		})
		reporters = append(reporters, benchReporter{
			account: jiracloud.Account{
				AccountID:   fmt.Sprintf("712020:00000000-0000-4000-8000-%012d", i+1),
				DisplayName: fmt.Sprintf("User %05d", i+1),
				Email:       mail,
			},
			office: o,
		})
	}
	return users, reporters
}

// serveBenchEmulator serves h on a loopback port until tb ends and returns
// its base URL.
func serveBenchEmulator(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

func benchSelectValue(v string) json.RawMessage {
	raw, _ := json.Marshal(map[string]string{"value": v})
	return raw
}

func benchSecret() string {
	buf := make([]byte, 24)
	rand.Read(buf)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// capturedWebhook is one webhook request as the Jira emulator built and
// signed it.
type capturedWebhook struct {
	body   []byte
	header http.Header
}

// webhookCapture is the Jira emulator's HTTP transport. It keeps every
// jira:issue_created delivery by issue key and returns 202 without sending
// it, so that the benchmark sends the same signed request to fieldlink with
// its own timing. Other deliveries, such as the jira:issue_updated that
// fieldlink's own edits cause, get 200 and are dropped, as a Jira
// webhook registered for created issues only would not send them.
type webhookCapture struct {
	mu       sync.Mutex
	captured map[string]capturedWebhook
}

func newWebhookCapture() *webhookCapture {
	return &webhookCapture{captured: map[string]capturedWebhook{}}
}

// RoundTrip keeps the request and returns a response without sending it.
func (c *webhookCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the webhook body: %w", err)
	}

	var head struct {
		WebhookEvent string `json:"webhookEvent"`
		Issue        struct {
			Key string `json:"key"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("decode the webhook body: %w", err)
	}

	status := http.StatusOK
	if head.WebhookEvent == "jira:issue_created" {
		status = http.StatusAccepted
		c.mu.Lock()
		c.captured[head.Issue.Key] = capturedWebhook{body: body, header: req.Header.Clone()}
		c.mu.Unlock()
	}
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{},
		Body:       io.NopCloser(strings.NewReader("")),
		Request:    req,
	}, nil
}

// take returns the captured delivery of the issue and removes it.
func (c *webhookCapture) take(key string) (capturedWebhook, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.captured[key]
	delete(c.captured, key)
	return w, ok
}

// jiraEditCounter serves the Jira emulator and counts the issue edits it
// accepted (PUT /rest/api/3/issue/{key} with status 204). It also notes
// when the last of the issues that expect names was first edited.
type jiraEditCounter struct {
	next http.Handler

	mu    sync.Mutex
	edits map[string]int
	// waiting holds the issues that expect named and that have no edit
	// yet. done is closed when the last of them is edited.
	waiting map[string]bool
	done    chan struct{}
	last    time.Time
}

func newJiraEditCounter(next http.Handler) *jiraEditCounter {
	return &jiraEditCounter{next: next, edits: map[string]int{}}
}

func (c *jiraEditCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, isEdit := strings.CutPrefix(r.URL.Path, "/rest/api/3/issue/")
	isEdit = isEdit && r.Method == http.MethodPut && !strings.Contains(key, "/")
	if !isEdit {
		c.next.ServeHTTP(w, r)
		return
	}

	rec := &statusWriter{ResponseWriter: w}
	c.next.ServeHTTP(rec, r)
	if rec.status != http.StatusNoContent {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.edits[key]++
	if c.waiting[key] {
		delete(c.waiting, key)
		if len(c.waiting) == 0 {
			c.last = time.Now()
			close(c.done)
		}
	}
}

// expect starts waiting for an edit of each issue in keys, none of which
// may have been edited yet.
func (c *jiraEditCounter) expect(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting = make(map[string]bool, len(keys))
	for _, k := range keys {
		c.waiting[k] = true
	}
	c.done = make(chan struct{})
	c.last = time.Time{}
}

// wait waits until every issue that expect named was edited and returns
// the time of the edit that came last.
func (c *jiraEditCounter) wait(ctx context.Context) (time.Time, error) {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		return time.Time{}, fmt.Errorf("%d issues were not edited in time: %w", len(c.waiting), ctx.Err())
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, nil
}

// count returns how many edits of the issue the emulator accepted.
func (c *jiraEditCounter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.edits[key]
}

// statusWriter keeps the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}
