package webui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/server"
	"github.com/fieldlink/fieldlink/store"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write screenshots of the admin pages to docs/screenshots")

const (
	chromiumPath  = "/usr/bin/chromium"
	adminUsername = "admin"
	adminPassword = "correct horse battery staple"

	// browserAdminToken is the admin token of the stack's server.
	browserAdminToken = "browser-test-admin-token-0123456789"

	// browserTimeout bounds each step a test waits for in the browser.
	browserTimeout = 30 * time.Second
)

// stack is a running fieldlink with the emulators and a browser tab.
type stack struct {
	url       string
	emulators *demo.Emulators
	tab       context.Context
}

// startStack starts the emulators, fieldlink with one admin, and a
// headless Chromium, all on loopback.
func startStack(t *testing.T) *stack {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s: install it with \"apt-get install -y chromium\" (.ci/run does this)", chromiumPath)
	}
	logger := slog.New(slog.DiscardHandler)

	emulators, err := demo.StartEmulators(logger)
	if err != nil {
		t.Fatalf("start emulators: %v", err)
	}
	t.Cleanup(func() { _ = emulators.Close() })

	dataDir := t.TempDir()
	createAdmin(t, dataDir)

	srv, err := server.Start(context.Background(), server.Config{
		Listen:        "127.0.0.1:0",
		DataDir:       dataDir,
		AdminToken:    browserAdminToken,
		AllowLoopback: true,
		Logger:        logger,
	})
	if err != nil {
		t.Fatalf("start fieldlink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	options := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	t.Cleanup(cancelAllocator)
	tab, cancelTab := chromedp.NewContext(allocator)
	t.Cleanup(cancelTab)

	// The first run starts the browser and binds it to the context it is
	// given, so it gets no timeout. Later steps each get browserTimeout.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	return &stack{url: srv.URL(), emulators: emulators, tab: tab}
}

// createAdmin stores an admin account in a new data folder through the
// store, before fieldlink opens it.
func createAdmin(t *testing.T, dataDir string) {
	t.Helper()
	ctx := context.Background()

	sealer, _, err := seal.LoadSealer("", filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatalf("create master key: %v", err)
	}
	db, err := store.Open(ctx, filepath.Join(dataDir, "fieldlink.db"), sealer, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer db.Close()

	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	if err := db.CreateAdmin(ctx, adminUsername, hash); err != nil {
		t.Fatalf("create admin: %v", err)
	}
}

// do runs browser steps within browserTimeout and fails the test with the
// step's name and the page's message when one fails.
func (s *stack) do(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	read(t, s, step, chromedp.Steps(actions...))
}

// read runs one browser action within browserTimeout and returns its value.
func read[T any](t *testing.T, s *stack, step string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(s.tab, browserTimeout)
	defer cancel()

	value, err := chromedp.Run(ctx, action)
	if err != nil {
		flash, _ := chromedp.Run(s.tab, chromedp.Evaluate[string](`(document.getElementById("flash") || {}).textContent || ""`))
		t.Fatalf("%s: %v (message on the page: %q)", step, err, flash)
	}
	return value
}

// location returns the path and query the tab shows.
func (s *stack) location(t *testing.T) string {
	t.Helper()
	current := read(t, s, "read location", chromedp.Location())
	u, err := url.Parse(current)
	if err != nil {
		t.Fatalf("parse location %q: %v", current, err)
	}
	return u.RequestURI()
}

// waitText polls until the element's text is neither empty nor ignore,
// and returns it.
func (s *stack) waitText(t *testing.T, selector, ignore string) string {
	t.Helper()
	script := fmt.Sprintf(`(() => { const e = document.querySelector(%q); const v = e ? e.textContent.trim() : ""; return v && v !== %q ? v : null; })()`,
		selector, ignore)
	return read(t, s, "wait for text of "+selector,
		chromedp.Poll[string](script, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserTimeout)))
}

// setSelect chooses an option and fires the change event the page listens to.
func setSelect(selector, value string) chromedp.Action[chromedp.Void] {
	return evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); })()`,
		selector, value))
}

// evaluate runs a script whose result does not matter.
func evaluate(script string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](script)(ctx, target)
		return chromedp.Void{}, err
	}
}

// screenshot writes a PNG of the whole page to docs/screenshots when the
// test runs with -update-screenshots.
func (s *stack) screenshot(t *testing.T, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	png := read(t, s, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join("..", "docs", "screenshots", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func (s *stack) signIn(t *testing.T, next string) {
	t.Helper()
	s.do(t, "open "+next, chromedp.Navigate(s.url+next), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	s.screenshot(t, "login")
	s.do(t, "sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), adminUsername),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("nav")),
	)
}

func TestBrowserPagesRedirectWithoutSession(t *testing.T) {
	s := startStack(t)

	for _, path := range []string{"/datasources", "/items", "/rules", "/events", "/settings"} {
		s.do(t, "open "+path, chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		want := "/login?next=" + url.QueryEscape(path)
		if got := s.location(t); got != want {
			t.Errorf("%s without a session: location %s, want %s", path, got, want)
		}
	}
}

func TestBrowserSignInRejectsWrongPassword(t *testing.T) {
	s := startStack(t)

	s.do(t, "sign in with a wrong password",
		chromedp.Navigate(s.url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), adminUsername),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password at all"),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
	)
	message := s.waitText(t, "#flash", "")

	if !strings.Contains(message, "wrong username or password") {
		t.Errorf("message after a wrong password %q, want the API's sign-in error", message)
	}
	if got := s.location(t); !strings.HasPrefix(got, "/login") {
		t.Errorf("location %s after a wrong password, want the sign-in page", got)
	}
}

func TestBrowserAzureDatasourceAndItem(t *testing.T) {
	s := startStack(t)
	e := s.emulators

	s.signIn(t, "/datasources")
	if got := s.location(t); got != "/datasources" {
		t.Fatalf("location after sign-in %s, want the requested page /datasources", got)
	}

	s.do(t, "fill the datasource form",
		chromedp.Click(chromedp.CSS("#new-datasource")),
		chromedp.WaitVisible(chromedp.CSS("#datasource-form")),
		chromedp.SendKeys(chromedp.CSS("#ds-name"), "Microsoft Graph"),
		chromedp.SendKeys(chromedp.CSS("#ds-baseUrl"), e.GraphURL+"/v1.0"),
		chromedp.SendKeys(chromedp.CSS("#ds-testPath"), "/users?$top=1&$select=id"),
		chromedp.Click(chromedp.CSS("#ds-allowLoopback")),
		setSelect("#ds-mode", "oauth2-client-credentials"),
		chromedp.WaitVisible(chromedp.CSS("#ds-tokenUrl")),
		chromedp.SendKeys(chromedp.CSS("#ds-tokenUrl"), e.TokenURL()),
		chromedp.SendKeys(chromedp.CSS("#ds-clientId"), demo.ClientID),
		chromedp.SendKeys(chromedp.CSS("#ds-clientSecret"), e.ClientSecret),
		chromedp.SendKeys(chromedp.CSS("#ds-scopes"), demo.GraphScope),
	)

	s.do(t, "test the unsaved datasource", chromedp.Click(chromedp.CSS("#test-connection")))
	if got := s.waitText(t, "#test-status", "testing…"); got != "VALID ACCESS TOKEN" {
		t.Fatalf("Test connection status %q, want VALID ACCESS TOKEN", got)
	}
	s.screenshot(t, "datasource-test")

	s.do(t, "save the datasource", chromedp.Click(chromedp.CSS(`#datasource-form button[type="submit"]`)))
	if got := s.waitText(t, "#flash", ""); got != "Saved Microsoft Graph." {
		t.Fatalf("after save: message %q", got)
	}
	secretNoteHidden := read(t, s, "read the secret note", chromedp.Evaluate[bool](`document.getElementById("ds-clientSecret").nextElementSibling.hidden`))
	if secretNoteHidden {
		t.Error("saved datasource does not say its client secret is set")
	}
	listed := read(t, s, "read the list", chromedp.Text(chromedp.CSS("#datasource-list tbody")))
	if !strings.Contains(listed, "Microsoft Graph") {
		t.Errorf("datasource list %q lacks the new datasource", listed)
	}

	s.do(t, "test the stored secret",
		evaluate(`document.getElementById("test-status").textContent = ""`),
		chromedp.Click(chromedp.CSS("#test-connection")))
	if got := s.waitText(t, "#test-status", "testing…"); got != "VALID ACCESS TOKEN" {
		t.Fatalf("Test connection with the stored secret: status %q, want VALID ACCESS TOKEN", got)
	}

	s.do(t, "enter the Secret ID as the secret",
		chromedp.SendKeys(chromedp.CSS("#ds-clientSecret"), demo.SecretID),
		evaluate(`document.getElementById("test-status").textContent = ""`),
		chromedp.Click(chromedp.CSS("#test-connection")),
	)
	if got := s.waitText(t, "#test-status", "testing…"); got == "VALID ACCESS TOKEN" {
		t.Fatalf("Test connection with the Secret ID: status %q, want a failure", got)
	}
	steps := read(t, s, "read the test steps", chromedp.Text(chromedp.CSS("#test-steps")))
	warnings := read(t, s, "read the test warnings", chromedp.Text(chromedp.CSS("#test-warnings")))
	if !strings.Contains(steps, "not its Secret ID") {
		t.Errorf("test steps %q lack the hint about the secret Value and the Secret ID", steps)
	}
	if !strings.Contains(warnings, "Secret ID") {
		t.Errorf("test warnings %q lack the warning about a GUID secret", warnings)
	}
	s.screenshot(t, "datasource-secret-id")

	s.do(t, "open the items page",
		chromedp.Navigate(s.url+"/items"),
		chromedp.WaitVisible(chromedp.CSS("#item-list")),
		chromedp.Click(chromedp.CSS("#new-item")),
		chromedp.WaitVisible(chromedp.CSS("#item-form")),
		chromedp.SendKeys(chromedp.CSS("#it-name"), "Reporter office"),
		chromedp.SendKeys(chromedp.CSS("#it-path"), "/users?$filter=mail eq '${reporter.emailAddress}'&$select=displayName,officeLocation"),
		chromedp.SendKeys(chromedp.CSS("#it-root"), "$.value[*]"),
		chromedp.SendKeys(chromedp.CSS("#it-template"), "${row.officeLocation}"),
		chromedp.SetValue(chromedp.CSS("#it-context"), `{"reporter": {"emailAddress": "amelie.laurent@fabrikam.example"}}`),
		chromedp.Click(chromedp.CSS("#test-item")),
		chromedp.WaitVisible(chromedp.CSS("#trace")),
	)
	values := read(t, s, "read the values", chromedp.Text(chromedp.CSS("#trace-values")))
	if values != "Paris" {
		t.Errorf("item tester values %q, want Paris", values)
	}
	response := read(t, s, "read the raw response", chromedp.TextContent(chromedp.CSS("#trace-requests details pre:last-of-type")))
	if !strings.Contains(response, "officeLocation") {
		t.Errorf("raw response %q lacks the selected field", response)
	}
	s.screenshot(t, "item-tester")

	s.do(t, "save the item", chromedp.Click(chromedp.CSS(`#item-form button[type="submit"]`)))
	if got := s.waitText(t, "#flash", ""); got != "Saved Reporter office." {
		t.Fatalf("after saving the item: message %q", got)
	}

	for _, page := range []string{"rules", "events"} {
		s.do(t, "open "+page, chromedp.Navigate(s.url+"/"+page), chromedp.WaitVisible(chromedp.CSS("main table")))
		s.screenshot(t, page)
	}

	s.do(t, "create an API token",
		chromedp.Navigate(s.url+"/settings"),
		chromedp.WaitVisible(chromedp.CSS("#token-form")),
		chromedp.SendKeys(chromedp.CSS("#token-name"), "monitoring"),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token-once")),
	)
	if got := s.waitText(t, "#token-value", ""); !strings.HasPrefix(got, "flt_") {
		t.Errorf("created token shown as %q, want a token starting with flt_", got)
	}
	if got := s.waitText(t, "#token-list tbody", ""); !strings.Contains(got, "monitoring") {
		t.Errorf("token list %q lacks the new token", got)
	}
	if got := s.waitText(t, "#audit-list tbody", ""); !strings.Contains(got, adminUsername) {
		t.Errorf("audit log %q lacks the admin's changes", got)
	}

	s.do(t, "create a hook",
		chromedp.SendKeys(chromedp.CSS("#hook-name"), "IT Help"),
		evaluate(`document.querySelector("#hook-jira").selectedIndex = 1`),
		chromedp.Click(chromedp.CSS(`#hook-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#hook-secret")),
	)
	if got := s.waitText(t, "#hook-secret-value", ""); got == "" {
		t.Errorf("the new hook's secret is not shown")
	}
	if got := s.waitText(t, "#hook-list tbody", ""); !strings.Contains(got, "IT Help") || !strings.Contains(got, "Microsoft Graph") {
		t.Errorf("hook list %q lacks the hook with its datasource's name", got)
	}
	s.screenshot(t, "settings")
}

func TestBrowserShowsMarkupAsText(t *testing.T) {
	s := startStack(t)
	name := `<img src="x" id="injected">Graph`

	s.signIn(t, "/datasources")
	s.do(t, "save a datasource whose name is markup",
		chromedp.Click(chromedp.CSS("#new-datasource")),
		chromedp.WaitVisible(chromedp.CSS("#datasource-form")),
		chromedp.SendKeys(chromedp.CSS("#ds-name"), name),
		chromedp.SendKeys(chromedp.CSS("#ds-baseUrl"), s.emulators.GraphURL+"/v1.0"),
		chromedp.Click(chromedp.CSS("#ds-allowLoopback")),
		chromedp.Click(chromedp.CSS(`#datasource-form button[type="submit"]`)),
	)
	s.waitText(t, "#flash", "")

	listed := s.waitText(t, "#datasource-list tbody", "")
	if !strings.Contains(listed, name) {
		t.Errorf("datasource list %q does not show the name as text", listed)
	}
	injected := read(t, s, "look for the element", chromedp.Evaluate[bool](`document.getElementById("injected") !== null`))
	if injected {
		t.Error("the datasource name became an element on the page")
	}
}

// callAPI sends a request with the admin token to the stack's server and
// returns the decoded JSON response, failing the test on another status.
func (s *stack) callAPI(t *testing.T, method, path string, body any, wantStatus int) map[string]any {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+browserAdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %v", method, path, resp.StatusCode, wantStatus, out)
	}
	return out
}

func TestBrowserAuditLogShowsChanges(t *testing.T) {
	s := startStack(t)
	const firstPassword, secondPassword = "MARKER-cmdb-password-1f2e", "MARKER-cmdb-password-7a6b"

	// The admin token changes a datasource's secret and creates a hook.
	datasource := map[string]any{"name": "CMDB", "baseUrl": "http://127.0.0.1:9/api",
		"auth": map[string]any{"mode": "basic", "username": "svc", "password": firstPassword}}
	created := s.callAPI(t, "POST", "/api/v1/datasources", datasource, http.StatusCreated)
	id, _ := created["id"].(string)
	datasource["auth"] = map[string]any{"mode": "basic", "username": "svc", "password": secondPassword}
	s.callAPI(t, "PUT", "/api/v1/datasources/"+id, datasource, http.StatusOK)
	s.callAPI(t, "POST", "/api/v1/hooks", map[string]any{"name": "IT Help", "jiraDatasource": id}, http.StatusCreated)

	// The signed-in admin rotates the hook's secret on the settings page.
	s.signIn(t, "/settings")
	s.waitText(t, "#hook-list tbody", "")
	s.do(t, "rotate the hook secret",
		chromedp.Click(chromedp.CSS(`#hook-list tbody button`)),
		chromedp.WaitVisible(chromedp.CSS("#hook-secret")),
	)
	rotatedSecret := s.waitText(t, "#hook-secret-value", "")

	script := `(() => { const t = document.querySelector("#audit-list tbody").textContent; return t.includes("rotated the secret of hook") ? t : null; })()`
	audit := read(t, s, "wait for the rotation in the audit log",
		chromedp.Poll[string](script, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserTimeout)))

	for _, want := range []string{
		`rotated the password of datasource "CMDB"`,
		`created hook "IT Help"`,
		`rotated the secret of hook "IT Help"`,
		"admin-token",
		adminUsername,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log on the settings page lacks %q:\n%s", want, audit)
		}
	}
	for _, secret := range []string{firstPassword, secondPassword, rotatedSecret} {
		if strings.Contains(audit, secret) {
			t.Errorf("audit log on the settings page shows a secret value:\n%s", audit)
		}
	}

	rows := read(t, s, "read the audit rows", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#audit-list tbody tr")].map((row) => [...row.cells].map((cell) => cell.textContent).join(" | "))`))
	wantRow := adminUsername + ` | rotated the secret of hook "IT Help" | hook.secret.rotate | `
	if len(rows) == 0 || !strings.Contains(rows[0], wantRow) {
		t.Errorf("newest audit row %q, want it to contain %q", rows, wantRow)
	}
}
