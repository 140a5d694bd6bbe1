package demo

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

// runDemo runs the demo once with logs at debug level and returns its
// result, report and log.
func runDemo(t *testing.T, dataDir string) (*Result, string, string) {
	t.Helper()
	var out, logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{Once: true, DataDir: dataDir, Out: &out, Logger: logger})
	if err != nil {
		t.Fatalf("demo failed: %v\n%s\nlog:\n%s", err, out.String(), logs.String())
	}
	return res, out.String(), logs.String()
}

func TestDemoRoutesEveryTicket(t *testing.T) {
	res, out, _ := runDemo(t, t.TempDir())

	if !strings.Contains(out, "Test connection of \"Microsoft Graph\": VALID ACCESS TOKEN") {
		t.Errorf("report does not show VALID ACCESS TOKEN for the Graph datasource:\n%s", out)
	}
	if len(res.Keys) < 12 {
		t.Errorf("%d tickets filed, want at least 12", len(res.Keys))
	}
	if len(res.Events) != len(res.Keys) {
		t.Errorf("%d events stored for %d tickets (one delivered twice), want one each", len(res.Events), len(res.Keys))
	}

	officeOf := map[string]string{}
	for _, u := range graph.SampleDirectory() {
		officeOf[strings.ToLower(u.Mail)] = u.OfficeLocation
	}
	routes := map[string]office{}
	for _, o := range offices {
		routes[o.name] = o
	}

	routed := 0
	for _, ev := range res.Events {
		if ev.Status != string(fieldlink.EventProcessed) {
			t.Errorf("%s: status %q, want processed (outcome %+v)", ev.IssueKey, ev.Status, ev.Outcome)
			continue
		}
		issue, ok := res.Emulators.Jira.Issue(ev.IssueKey)
		if !ok {
			t.Fatalf("%s missing from the Jira emulator", ev.IssueKey)
		}
		reporter, _ := issue["reporter"].(map[string]any)
		email, _ := reporter["emailAddress"].(string)

		want, known := routes[officeOf[strings.ToLower(email)]]
		switch {
		case email == "":
			if !strings.HasPrefix(ev.Outcome.Reason, "reporter email not visible") {
				t.Errorf("%s (email hidden): reason %q", ev.IssueKey, ev.Outcome.Reason)
			}
		case !known:
			if !strings.HasPrefix(ev.Outcome.Reason, "no rule matched") {
				t.Errorf("%s (%s, no office): reason %q", ev.IssueKey, email, ev.Outcome.Reason)
			}
			if edits := res.Emulators.Jira.Edits(ev.IssueKey); len(edits) != 0 {
				t.Errorf("%s (%s, no office) was edited: %v", ev.IssueKey, email, edits)
			}
		default:
			routed++
			if got := describeValue(issue["customfield_10050"]); got != want.supportGroup {
				t.Errorf("%s (%s): support group %q, want %q", ev.IssueKey, email, got, want.supportGroup)
			}
			if got := describeValue(issue["customfield_10051"]); got != want.queue {
				t.Errorf("%s (%s): queue %q, want %q", ev.IssueKey, email, got, want.queue)
			}
			if edits := res.Emulators.Jira.Edits(ev.IssueKey); len(edits) != 1 {
				t.Errorf("%s edited %d times, want once", ev.IssueKey, len(edits))
			}
			wantLabel := "office-" + strings.ToLower(strings.ReplaceAll(want.name, " ", "-"))
			labels, _ := issue["labels"].([]string)
			if len(labels) != 1 || labels[0] != wantLabel {
				t.Errorf("%s labels = %v, want [%s]", ev.IssueKey, labels, wantLabel)
			}
			comments := res.Emulators.Jira.Comments(ev.IssueKey)
			if len(comments) != 1 || !comments[0].Internal || !strings.Contains(comments[0].Text, want.name+" office") {
				t.Errorf("%s comments = %+v, want one internal comment naming the %s office", ev.IssueKey, comments, want.name)
			}
		}
	}
	if routed < 8 {
		t.Errorf("%d tickets routed, want at least 8", routed)
	}

	// Test connection fetches a fresh token; every lookup after it shares one
	// cached token.
	if n := res.Emulators.Entra.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2 (Test connection, then one for all lookups)", n)
	}
}

func TestDemoCoversDirectoryEdgeCases(t *testing.T) {
	res, out, _ := runDemo(t, t.TempDir())

	filed := map[string]bool{}
	for _, ev := range res.Events {
		if ev.Outcome != nil {
			filed[ev.Outcome.Reporter] = true
		}
	}
	var guest, apostrophe, plus bool
	for _, u := range graph.SampleDirectory() {
		for reporter := range filed {
			if u.Mail == "" || !strings.Contains(reporter, u.Mail) {
				continue
			}
			guest = guest || strings.Contains(u.UserPrincipalName, "#EXT#")
			apostrophe = apostrophe || strings.Contains(u.Mail, "'")
			plus = plus || strings.Contains(u.Mail, "+")
		}
	}
	if !guest || !apostrophe || !plus {
		t.Errorf("tickets cover guest=%v apostrophe=%v plus-address=%v, want all\n%s", guest, apostrophe, plus, out)
	}
}

func TestDemoLeaksNoSecret(t *testing.T) {
	dataDir := t.TempDir()
	res, out, logs := runDemo(t, dataDir)
	secrets := map[string]string{
		"client secret":  res.Emulators.ClientSecret,
		"Jira API token": res.Emulators.JiraAPIToken,
	}

	files := map[string][]byte{"report": []byte(out), "log": []byte(logs)}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dataDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = raw
	}

	// Access tokens from the Entra emulator are JWTs, which start with "eyJ".
	for file, content := range map[string]string{"report": out, "log": logs} {
		if strings.Contains(content, "eyJ") {
			t.Errorf("%s contains what looks like an access token", file)
		}
	}
	for name, secret := range secrets {
		for file, content := range files {
			if bytes.Contains(content, []byte(secret)) {
				t.Errorf("the %s appears in %s", name, file)
			}
		}
	}
}

func TestDemoRejectsUsedDataFolder(t *testing.T) {
	dataDir := t.TempDir()
	runDemo(t, dataDir)

	_, err := Run(context.Background(), Options{Once: true, DataDir: dataDir, Out: &bytes.Buffer{}})

	if err == nil || !strings.Contains(err.Error(), "already contains a fieldlink database") {
		t.Errorf("second run in the same folder: %v, want an error saying the folder is in use", err)
	}
}
