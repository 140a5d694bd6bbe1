package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/apiclient"
	"github.com/fieldlink/fieldlink/httpapi"
)

// stdin is read by "-f -". Tests replace it.
var stdin io.Reader = os.Stdin

const datasourceUsage = `Usage: fieldlink datasource COMMAND [flags]

Manages datasources through the REST API of a running fieldlink server.

Commands:
  create -f FILE          create a datasource from a JSON or YAML file (- for standard input)
  list                    list datasources with their health and first expiry
  show ID                 show a datasource, its health, expiry list and warnings
  update ID -f FILE       replace a datasource; a secret left out keeps the stored one
  delete ID               delete a datasource
  test ID | test -f FILE  run Test connection on a saved datasource or on a file

Every command takes --server URL (env FIELDLINK_URL, default http://127.0.0.1:8080) and reads the
admin token from FIELDLINK_ADMIN_TOKEN (or --token). Run "fieldlink datasource COMMAND -h" for its flags.
`

func runDatasource(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "datasource", datasourceUsage, []subcommand{
		{"create", runDatasourceCreate},
		{"list", runDatasourceList},
		{"show", runDatasourceShow},
		{"update", runDatasourceUpdate},
		{"delete", runDatasourceDelete},
		{"test", runDatasourceTest},
	}, args, stdout, stderr)
}

func runDatasourceCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource create -f FILE", "Creates a datasource from a JSON or YAML file in the shape of docs/openapi.yaml's Datasource.", stderr)
	api := addAPIFlags(fs)
	file := fs.String("f", "", "JSON or YAML `file` containing the datasource, or - for standard input")
	secrets := addSecretEnvFlag(fs)
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	body, err := readDatasourceBody(*file, *secrets)
	if err != nil {
		return err
	}
	ds, err := client.CreateDatasourceJSON(ctx, body)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, ds)
	}
	fmt.Fprintf(stdout, "Created datasource %s (%s)\n", ds.ID, ds.Name)
	writeWarnings(stdout, ds.Warnings)
	return nil
}

func runDatasourceList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource list", "Lists datasources by name with their health and the secret or certificate that expires first.", stderr)
	api := addAPIFlags(fs)
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	all, err := client.ListDatasources(ctx)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, httpapi.ListBody[httpapi.DatasourceBody]{Items: all})
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "No datasources yet: create one with \"fieldlink datasource create -f FILE\".")
		return nil
	}
	return writeDatasourceTable(stdout, all, time.Now())
}

func runDatasourceShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource show ID", "Shows a datasource's settings (secrets only as \"set\"), its health, expiry list and warnings.", stderr)
	api := addAPIFlags(fs)
	output := addOutputFlag(fs)
	positional, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	ds, err := client.GetDatasource(ctx, positional[0])
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, ds)
	}
	return writeDatasource(stdout, ds, time.Now())
}

func runDatasourceUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource update ID -f FILE", "Replaces a datasource with the one in a JSON or YAML file. A secret left out keeps the stored one while the auth mode stays the same.", stderr)
	api := addAPIFlags(fs)
	file := fs.String("f", "", "JSON or YAML `file` containing the datasource, or - for standard input")
	secrets := addSecretEnvFlag(fs)
	output := addOutputFlag(fs)
	positional, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	body, err := readDatasourceBody(*file, *secrets)
	if err != nil {
		return err
	}
	ds, err := client.UpdateDatasourceJSON(ctx, positional[0], body)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, ds)
	}
	fmt.Fprintf(stdout, "Updated datasource %s (%s)\n", ds.ID, ds.Name)
	writeWarnings(stdout, ds.Warnings)
	return nil
}

func runDatasourceDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource delete ID", "Deletes a datasource. The server rejects it while items or hooks use the datasource.", stderr)
	api := addAPIFlags(fs)
	positional, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	if err := client.DeleteDatasource(ctx, positional[0]); err != nil {
		return api.explain(err)
	}

	fmt.Fprintf(stdout, "Deleted datasource %s\n", positional[0])
	return nil
}

func runDatasourceTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("datasource test ID | test -f FILE", "Runs Test connection on a saved datasource, or on the unsaved one in a file. Exits with status 0 only when every step succeeds.", stderr)
	api := addAPIFlags(fs)
	file := fs.String("f", "", "JSON or YAML `file` containing an unsaved datasource, or - for standard input")
	secrets := addSecretEnvFlag(fs)
	output := addOutputFlag(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	if (len(positional) == 1) == (*file != "") || len(positional) > 1 {
		return fmt.Errorf("datasource test takes a datasource ID or -f FILE: give exactly one of them")
	}
	if *file == "" && len(*secrets) > 0 {
		return fmt.Errorf("--secret-env applies only to -f FILE: a saved datasource is tested with its stored secrets")
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	var result fieldlink.TestResult
	if *file == "" {
		result, err = client.TestDatasource(ctx, positional[0])
	} else {
		var body []byte
		body, err = readDatasourceBody(*file, *secrets)
		if err != nil {
			return err
		}
		result, err = client.TestDraftDatasourceJSON(ctx, body)
	}
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		if err := writeJSON(stdout, result); err != nil {
			return err
		}
	} else {
		writeTestResult(stdout, result)
	}
	if !result.OK {
		return fmt.Errorf("test connection failed with status %q: fix the step marked FAIL and test again", result.Status)
	}
	return nil
}

// newFlagSet returns a flag set whose usage names the command line and
// what the command does. The set's name is the synopsis's leading
// lowercase words, such as "datasource show".
func newFlagSet(synopsis, description string, stderr io.Writer) *flag.FlagSet {
	var words []string
	for _, word := range strings.Fields(synopsis) {
		if strings.ToLower(word) != word || !unicode.IsLetter(rune(word[0])) {
			break
		}
		words = append(words, word)
	}
	fs := flag.NewFlagSet(strings.Join(words, " "), flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fieldlink %s [flags]\n\n%s\n\nFlags:\n", synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags before and after the positional arguments and
// returns the positional arguments after checking that there are exactly
// want of them and that -o is valid, if the flag set has it.
func parseArgs(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if outputFlag := fs.Lookup("o"); outputFlag != nil {
		if err := checkOutput(outputFlag.Value.String()); err != nil {
			return nil, err
		}
	}

	switch {
	case len(positional) == want:
		return positional, nil
	case want == 0:
		return nil, fmt.Errorf("%s takes no arguments, got %q", fs.Name(), positional)
	case len(positional) == 0:
		return nil, fmt.Errorf("%s needs a datasource ID: find it with \"fieldlink datasource list\"", fs.Name())
	}
	return nil, fmt.Errorf("%s takes one datasource ID, got %q", fs.Name(), positional)
}

// parseInterspersed parses flags that may follow positional arguments, as
// in "show ID -o json", and returns the positional arguments in order.
// NOTE: "--" keeps only the argument right after it from being read as a
// flag, so "show -- -id" works but later arguments are parsed as flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// apiFlags are the flags that reach the REST API.
type apiFlags struct {
	server string
	token  string
}

// addAPIFlags adds --server and --token. The token flag has no default so
// that usage text never shows the token from the environment.
func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	f := &apiFlags{}
	fs.StringVar(&f.server, "server", envOr("FIELDLINK_URL", "http://127.0.0.1:8080"), "`URL` of the fieldlink server (env FIELDLINK_URL)")
	fs.StringVar(&f.token, "token", "", "admin token (default: env FIELDLINK_ADMIN_TOKEN, which keeps it out of the process list)")
	return f
}

// client returns an API client for the flags, or an error saying what to set.
func (f *apiFlags) client() (*apiclient.Client, error) {
	serverURL, err := url.Parse(f.server)
	if err != nil || (serverURL.Scheme != "http" && serverURL.Scheme != "https") || serverURL.Host == "" {
		return nil, fmt.Errorf("--server %q is not an http or https URL: give the server's address, for example http://127.0.0.1:8080", f.server)
	}

	token := f.token
	if token == "" {
		token = os.Getenv("FIELDLINK_ADMIN_TOKEN")
	}
	if token == "" {
		return nil, errors.New("missing admin token: set FIELDLINK_ADMIN_TOKEN to the token that fieldlink serve showed on its first start, or pass --token")
	}
	return &apiclient.Client{BaseURL: f.server, Token: token}, nil
}

// explain adds the next step to an error that did not come from the API,
// such as a refused connection. API errors already carry the API's message.
func (f *apiFlags) explain(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("%w: check that fieldlink is serving at %s, or set --server or FIELDLINK_URL", err, f.server)
	}
	return err
}

// secretEnv is one --secret-env value: the auth field to set and the
// environment variable holding its secret.
type secretEnv struct {
	field    string
	variable string
}

// secretEnvFlag collects repeated --secret-env FIELD=VAR values.
type secretEnvFlag []secretEnv

func (s *secretEnvFlag) String() string {
	parts := make([]string, len(*s))
	for i, e := range *s {
		parts[i] = e.field + "=" + e.variable
	}
	return strings.Join(parts, ",")
}

// Set checks that FIELD is a secret auth field and stores the pair. The
// variable is read later, so its value is never part of an error.
func (s *secretEnvFlag) Set(value string) error {
	field, variable, ok := strings.Cut(value, "=")
	if !ok || field == "" || variable == "" {
		return fmt.Errorf("%q is not FIELD=VAR: use for example clientSecret=GRAPH_CLIENT_SECRET", value)
	}
	fields := secretFieldNames()
	if !slices.Contains(fields, field) {
		return fmt.Errorf("%q is not a secret auth field: use one of %s", field, strings.Join(fields, ", "))
	}
	*s = append(*s, secretEnv{field: field, variable: variable})
	return nil
}

func addSecretEnvFlag(fs *flag.FlagSet) *secretEnvFlag {
	s := &secretEnvFlag{}
	fs.Var(s, "secret-env", "set a secret auth field from an environment variable, as `FIELD=VAR` (for example clientSecret=GRAPH_CLIENT_SECRET); repeatable")
	return s
}

// secretFieldNames returns the API names of the secret auth fields, sorted.
func secretFieldNames() []string {
	var auth fieldlink.Auth
	return slices.Sorted(maps.Keys(auth.SecretFields()))
}

// readDatasourceBody reads a datasource from a JSON or YAML file, or from
// standard input for "-", applies the --secret-env values and returns the
// JSON to send.
func readDatasourceBody(name string, secrets secretEnvFlag) (json.RawMessage, error) {
	if name == "" {
		return nil, errors.New("-f FILE is missing: give a JSON or YAML file containing the datasource, or - for standard input")
	}

	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(stdin)
		name = "standard input"
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read datasource from %s: %w", name, err)
	}

	body, err := toJSON(name, raw)
	if err != nil {
		return nil, err
	}
	return setSecrets(name, body, secrets)
}

// toJSON returns a file's content as JSON. The extension chooses JSON or
// YAML; without a known one, content starting with "{" is JSON.
func toJSON(name string, raw []byte) (json.RawMessage, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s is empty: give a datasource object in JSON or YAML", name)
	}

	isJSON := trimmed[0] == '{'
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		isJSON = true
	case ".yaml", ".yml":
		isJSON = false
	}

	var body []byte
	if isJSON {
		if err := checkJSON(name, raw); err != nil {
			return nil, err
		}
		body = trimmed
	} else {
		if hasSecondDocument(raw) {
			return nil, fmt.Errorf("%s contains more than one YAML document: give one datasource per file", name)
		}
		converted, err := yamlToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%s is not valid YAML: %w", name, err)
		}
		body = converted
	}

	if !bytes.HasPrefix(body, []byte("{")) {
		return nil, fmt.Errorf("%s does not contain an object: give one datasource with name, baseUrl and auth", name)
	}
	return body, nil
}

// documentStart matches a YAML document start marker, which is always at
// the start of a line.
var documentStart = regexp.MustCompile(`(?m)^---(\s|$)`)

// hasSecondDocument reports whether raw has a document start marker after
// content, because the YAML conversion would drop every document but the
// first without an error.
func hasSecondDocument(raw []byte) bool {
	for _, marker := range documentStart.FindAllIndex(raw, -1) {
		if hasContent(raw[:marker[0]]) {
			return true
		}
	}
	return false
}

// hasContent reports whether YAML text has a line other than blanks and
// comments.
func hasContent(text []byte) bool {
	for line := range bytes.Lines(text) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return true
		}
	}
	return false
}

// checkJSON reports where raw stops being JSON, by line and column.
func checkJSON(name string, raw []byte) error {
	var v any
	err := json.Unmarshal(raw, &v)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line := 1 + bytes.Count(raw[:syntax.Offset], []byte("\n"))
		column := int(syntax.Offset) - bytes.LastIndexByte(raw[:syntax.Offset], '\n') - 1
		return fmt.Errorf("%s is not valid JSON at line %d, column %d: %v", name, line, column, err)
	}
	if err != nil {
		return fmt.Errorf("%s is not valid JSON: %v", name, err)
	}
	return nil
}

// setSecrets sets auth.FIELD from each --secret-env variable. The rest of
// the object, unknown keys included, is passed on unchanged so that the API
// can report them.
func setSecrets(name string, body json.RawMessage, secrets secretEnvFlag) (json.RawMessage, error) {
	if len(secrets) == 0 {
		return body, nil
	}

	var object map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&object); err != nil {
		return nil, fmt.Errorf("read datasource from %s: %w", name, err)
	}
	auth, ok := object["auth"].(map[string]any)
	if object["auth"] == nil {
		auth, ok = map[string]any{}, true
	}
	if !ok {
		return nil, fmt.Errorf("auth in %s is not an object: give auth with mode and its settings", name)
	}

	for _, s := range secrets {
		value, ok := os.LookupEnv(s.variable)
		if !ok || value == "" {
			return nil, fmt.Errorf("--secret-env %s=%s: environment variable %s is not set or empty: export it first", s.field, s.variable, s.variable)
		}
		auth[s.field] = value
	}
	object["auth"] = auth

	out, err := json.Marshal(object)
	if err != nil {
		return nil, fmt.Errorf("encode datasource from %s: %w", name, err)
	}
	return out, nil
}
