// Package demo runs fieldlink's main job end to end on one machine. It starts
// emulators of Entra ID, Microsoft Graph and Jira Cloud on loopback and the
// server on a temporary SQLite file. Then it configures the server through
// the REST API as an admin would, and lets Jira send ticket webhooks until
// every ticket is routed or its outcome explained.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/server"
)

// Options configures a demo run.
type Options struct {
	// Once makes Run return after every ticket is processed. Otherwise it
	// keeps serving until ctx ends.
	Once bool

	// Listen is the fieldlink server's address. Defaults to a free loopback port.
	Listen string

	// DataDir is the data folder, which must not hold a fieldlink database
	// yet. Defaults to a new temporary folder, removed when Run returns.
	DataDir string

	// Tickets is how many directory users file a ticket, besides the
	// unknown reporter and the hidden-email reporter. Defaults to 10.
	Tickets int

	// Wait bounds how long Run waits for tickets to be processed. Defaults to 2 minutes.
	Wait time.Duration

	// Out receives the demo's report. Defaults to os.Stdout.
	Out io.Writer

	// Secrets are the credentials the emulators accept. Fields left empty
	// get random values.
	Secrets Secrets

	// AdminToken is the admin token of the demo's server. Defaults to a
	// random one.
	AdminToken string

	Logger *slog.Logger
}

// Result holds the outcome of a demo run, for tests.
type Result struct {
	Emulators *Emulators
	Events    []httpapi.EventBody
	// Keys lists the created issue keys in creation order.
	Keys []string
}

// Run runs the demo.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts = withDefaults(opts)
	out := opts.Out

	emulators, err := StartEmulatorsWith(opts.Logger, opts.Secrets)
	if err != nil {
		return nil, err
	}
	defer emulators.Close()

	dataDir, cleanup, err := dataFolder(opts)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	adminToken := opts.AdminToken
	srv, err := server.Start(ctx, server.Config{
		Listen:        opts.Listen,
		DataDir:       dataDir,
		AdminToken:    adminToken,
		AllowLoopback: true,
		ForEmulators:  true,
		Logger:        opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start fieldlink: %w", err)
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	fmt.Fprintf(out, "fieldlink demo\n")
	fmt.Fprintf(out, "  Entra ID emulator  %s\n", emulators.TokenURL())
	fmt.Fprintf(out, "  Graph emulator     %s/v1.0\n", emulators.GraphURL)
	fmt.Fprintf(out, "  Jira emulator      %s\n", emulators.JiraURL)
	fmt.Fprintf(out, "  fieldlink          %s (data folder %s)\n\n", srv.URL(), dataDir)

	api := &apiclient.Client{BaseURL: srv.URL(), Token: adminToken}
	hook, err := Configure(ctx, api, emulators, out)
	if err != nil {
		return nil, err
	}
	emulators.Jira.RegisterWebhook(hook.URL, hook.Secret)

	res := &Result{Emulators: emulators}
	if err := fileTickets(ctx, emulators, opts.Tickets, res, out); err != nil {
		return nil, err
	}
	if err := waitForEvents(ctx, api, len(res.Keys), opts.Wait, res); err != nil {
		return res, err
	}
	failed := report(out, res)

	if !opts.Once {
		fmt.Fprintf(out, "\nfieldlink keeps running. Admin API: %s/api/v1  Admin token: %s\n", srv.URL(), adminToken)
		fmt.Fprintf(out, "Admin pages: %s/ (create an account first: fieldlink admin create --username NAME --data %s)\n", srv.URL(), dataDir)
		fmt.Fprintf(out, "Try: curl -H 'Authorization: Bearer %s' %s/api/v1/events\nPress Ctrl+C to stop.\n", adminToken, srv.URL())
		<-ctx.Done()
	}
	if failed > 0 {
		return res, fmt.Errorf("%d ticket events failed: see the lines above", failed)
	}
	return res, nil
}

func withDefaults(opts Options) Options {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Tickets <= 0 {
		opts.Tickets = 10
	}
	if opts.Wait <= 0 {
		opts.Wait = 2 * time.Minute
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.AdminToken == "" {
		opts.AdminToken = "fl_" + randomSecret()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts
}

// dataFolder returns the demo's data folder and a function that removes it
// when the demo created it. A folder given by the caller must not hold a
// fieldlink database yet, because the demo creates its configuration anew.
func dataFolder(opts Options) (string, func(), error) {
	if opts.DataDir != "" {
		if _, err := os.Stat(filepath.Join(opts.DataDir, "fieldlink.db")); err == nil {
			return "", nil, fmt.Errorf("data folder %s already contains a fieldlink database: give the demo an empty folder with --data, or leave --data out", opts.DataDir)
		}
		return opts.DataDir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "fieldlink-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("create a temporary data folder: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// Configure creates the datasources, item, rules and hook through the REST
// API, printing what an admin would see.
func Configure(ctx context.Context, api *apiclient.Client, e *Emulators, out io.Writer) (httpapi.HookBody, error) {
	graphDS, err := api.CreateDatasource(ctx, graphDatasource(e))
	if err != nil {
		return httpapi.HookBody{}, fmt.Errorf("create the Graph datasource: %w", err)
	}
	fmt.Fprintf(out, "Datasource %q created (%s): OAuth 2 client credentials, client authentication %s, scope %s\n",
		graphDS.Name, graphDS.ID, graphDS.Auth.ClientAuthentication, strings.Join(graphDS.Auth.Scopes, " "))
	if err := testConnection(ctx, api, graphDS, out); err != nil {
		return httpapi.HookBody{}, err
	}

	jiraDS, err := api.CreateDatasource(ctx, jiraDatasource(e))
	if err != nil {
		return httpapi.HookBody{}, fmt.Errorf("create the Jira datasource: %w", err)
	}
	fmt.Fprintf(out, "Datasource %q created (%s): basic auth with an account's email and API token\n", jiraDS.Name, jiraDS.ID)
	if err := testConnection(ctx, api, jiraDS, out); err != nil {
		return httpapi.HookBody{}, err
	}

	it, err := api.CreateItem(ctx, officeItem(graphDS.ID))
	if err != nil {
		return httpapi.HookBody{}, fmt.Errorf("create the item %q: %w", ItemName, err)
	}
	fmt.Fprintf(out, "Item %q created (%s): %s %s, rows %s, value %s\n",
		it.Name, it.ID, it.Request.Method, it.Request.Path, it.Root, it.Template)

	for _, r := range officeRules() {
		created, err := api.CreateRule(ctx, r)
		if err != nil {
			return httpapi.HookBody{}, fmt.Errorf("create the rule %q: %w", r.Name, err)
		}
		fmt.Fprintf(out, "Rule %q: when %s set %s\n", created.Name, created.Condition, describeFields(created.Fields))
	}

	hook, err := api.CreateHook(ctx, httpapi.HookBody{Name: "IT Help", JiraDatasource: jiraDS.ID})
	if err != nil {
		return httpapi.HookBody{}, fmt.Errorf("create the webhook: %w", err)
	}
	fmt.Fprintf(out, "Webhook %q created: Jira sends jira:issue_created to %s, signed with the hook's secret\n\n", hook.Name, hook.URL)
	return hook, nil
}

func testConnection(ctx context.Context, api *apiclient.Client, ds httpapi.DatasourceBody, out io.Writer) error {
	result, err := api.TestDatasource(ctx, ds.ID)
	if err != nil {
		return fmt.Errorf("test the connection of %q: %w", ds.Name, err)
	}
	fmt.Fprintf(out, "Test connection of %q: %s\n", ds.Name, result.Status)
	for _, step := range result.Steps {
		mark := "ok  "
		if !step.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "  %s %-8s %4d ms  %s\n", mark, step.Name, step.DurationMS, step.Message)
		if step.Hint != "" {
			fmt.Fprintf(out, "                        hint: %s\n", step.Hint)
		}
	}
	if !result.OK {
		return fmt.Errorf("test connection of %q failed: %s", ds.Name, result.Status)
	}
	return nil
}

// fileTickets creates the demo's tickets in the Jira emulator, which sends
// one webhook for each, and delivers the first one a second time to show
// that a repeated delivery is processed once.
func fileTickets(ctx context.Context, e *Emulators, count int, res *Result, out io.Writer) error {
	accounts := reporters(count)
	fmt.Fprintf(out, "Jira sends %d issue-created webhooks:\n", len(accounts))
	for _, acct := range accounts {
		key, err := e.Jira.CreateIssue(ctx, acct, "Laptop will not connect to the office Wi-Fi")
		if err != nil {
			return fmt.Errorf("create a ticket for %s: %w", acct.DisplayName, err)
		}
		res.Keys = append(res.Keys, key)
	}
	if err := e.Jira.Redeliver(ctx, res.Keys[0]); err != nil {
		return fmt.Errorf("deliver %s again: %w", res.Keys[0], err)
	}
	fmt.Fprintf(out, "  %s … %s created; %s delivered twice (fieldlink must process it once)\n\n", res.Keys[0], res.Keys[len(res.Keys)-1], res.Keys[0])
	return nil
}

// waitForEvents polls the API until every ticket's event is finished.
func waitForEvents(ctx context.Context, api *apiclient.Client, want int, wait time.Duration, res *Result) error {
	deadline := time.Now().Add(wait)
	for {
		events, err := api.ListEvents(ctx, 1000)
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		res.Events = events

		finished := 0
		for _, ev := range events {
			if ev.Status != string(fieldlink.EventPending) {
				finished++
			}
		}
		if len(events) >= want && finished == len(events) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d ticket events finished within %s", finished, want, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// report prints one line per ticket and returns how many events failed.
func report(out io.Writer, res *Result) int {
	events := append([]httpapi.EventBody(nil), res.Events...)
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })

	fmt.Fprintf(out, "%-7s %-56s %-12s %s\n", "TICKET", "REPORTER", "OFFICE", "RESULT")
	failed := 0
	for _, ev := range events {
		o := ev.Outcome
		if o == nil {
			o = &fieldlink.Outcome{IssueKey: ev.IssueKey}
		}
		officeName, ok := o.Items[ItemName]
		switch {
		case !ok:
			officeName = "-"
		case officeName == "":
			officeName = "(none)"
		}

		result := "fields written: " + describeWritten(o, res.Emulators)
		if len(o.FieldsWritten) == 0 {
			result = "no fields written: " + o.Reason
		}
		if ev.Status == string(fieldlink.EventFailed) {
			failed++
			result = "FAILED: " + o.Reason
		}
		fmt.Fprintf(out, "%-7s %-56s %-12s %s\n", ev.IssueKey, o.Reporter, officeName, result)
	}

	duplicate := len(res.Emulators.Jira.Edits(res.Keys[0]))
	fmt.Fprintf(out, "\n%d tickets, %d events stored; %s was delivered twice and updated %d time(s).\n",
		len(res.Keys), len(events), res.Keys[0], duplicate)
	return failed
}

// describeWritten shows the fields the rule set, as the Jira emulator now has them.
func describeWritten(o *fieldlink.Outcome, e *Emulators) string {
	issue, _ := e.Jira.Issue(o.IssueKey)
	parts := make([]string, 0, len(o.FieldsWritten)+2)
	for _, id := range o.FieldsWritten {
		parts = append(parts, fmt.Sprintf("%s=%s", fieldLabel(id), describeValue(issue[id])))
	}
	if len(o.LabelsAdded) > 0 {
		parts = append(parts, "label "+strings.Join(o.LabelsAdded, ", "))
	}
	if o.Commented {
		parts = append(parts, "internal comment")
	}
	return strings.Join(parts, ", ") + " (rule " + o.Rule + ")"
}

func fieldLabel(id string) string {
	switch id {
	case "customfield_10050":
		return "Support group"
	case "customfield_10051":
		return "Location queue"
	}
	return id
}

func describeValue(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["value"].(string); ok {
			return s
		}
	}
	return fmt.Sprint(v)
}

func describeFields(fields map[string]json.RawMessage) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var value any
		_ = json.Unmarshal(fields[k], &value)
		parts = append(parts, fmt.Sprintf("%s=%s", fieldLabel(k), describeValue(value)))
	}
	return strings.Join(parts, ", ")
}
