package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fieldlink/fieldlink/httpapi"
)

const ruleUsage = `Usage: fieldlink rule COMMAND [flags]

Manages routing rules through the REST API of a running fieldlink server.

Commands:
  list [--rule-set NAME]     list rules in the order they are tried
  create -f FILE             create a rule from a JSON or YAML file (- for standard input)
  delete ID                  delete a rule
  simulate --hook ID [--recent N | --event ID ... | -f FILE]
                             show what the hook's rules would do, writing nothing

Every command takes --server URL (env FIELDLINK_URL, default http://127.0.0.1:8080) and reads the
admin token from FIELDLINK_ADMIN_TOKEN (or --token). Run "fieldlink rule COMMAND -h" for its flags.
`

func runRule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "rule", ruleUsage, []subcommand{
		{"list", runRuleList},
		{"create", runRuleCreate},
		{"delete", runRuleDelete},
		{"simulate", runRuleSimulate},
	}, args, stdout, stderr)
}

func runRuleList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rule list", "Lists rules by rule set and position.", stderr)
	api := addAPIFlags(fs)
	ruleSet := fs.String("rule-set", "", "only the rules of this rule `set` (leave out for every set)")
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	var all []httpapi.RuleBody
	if flagGiven(args, "rule-set") {
		all, err = client.ListRulesInSet(ctx, *ruleSet)
	} else {
		all, err = client.ListRules(ctx)
	}
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, httpapi.ListBody[httpapi.RuleBody]{Items: all})
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "No rules yet: create one with \"fieldlink rule create -f FILE\".")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRULE SET\tPOSITION\tNAME\tCONDITION\tACTIONS")
	for _, r := range all {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, orDash(r.RuleSet), r.Position, r.Name, orDash(r.Condition), describeActions(r))
	}
	return tw.Flush()
}

// flagGiven reports whether the flag was set on the command line, so that
// an empty --rule-set "" selects the default set.
func flagGiven(args []string, name string) bool {
	for _, arg := range args {
		trimmed := strings.TrimLeft(arg, "-")
		if trimmed == name || strings.HasPrefix(trimmed, name+"=") {
			return true
		}
	}
	return false
}

// describeActions summarizes what a rule does.
func describeActions(r httpapi.RuleBody) string {
	var parts []string
	if len(r.Fields) > 0 {
		parts = append(parts, "fields "+strings.Join(sortedKeys(r.Fields), ", "))
	}
	if len(r.AddLabels) > 0 {
		parts = append(parts, "labels "+strings.Join(r.AddLabels, ", "))
	}
	if r.Comment != "" {
		parts = append(parts, "comment")
	}
	if len(r.RequestParticipants) > 0 {
		parts = append(parts, fmt.Sprintf("%d participants", len(r.RequestParticipants)))
	}
	return strings.Join(parts, "; ")
}

func runRuleCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rule create -f FILE", "Creates a rule from a JSON or YAML file in the shape of docs/openapi.yaml's Rule.", stderr)
	api := addAPIFlags(fs)
	file := fs.String("f", "", "JSON or YAML `file` containing the rule, or - for standard input")
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	if *file == "" {
		return errors.New("-f FILE is missing: give a JSON or YAML file containing the rule, or - for standard input")
	}
	raw, name, err := readInput(*file)
	if err != nil {
		return fmt.Errorf("read rule from %s: %w", name, err)
	}
	body, err := toJSON(name, raw)
	if err != nil {
		return err
	}
	r, err := client.CreateRuleJSON(ctx, body)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "Created rule %s (%s)\n", r.ID, r.Name)
	return nil
}

func runRuleDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rule delete ID", "Deletes a rule.", stderr)
	api := addAPIFlags(fs)
	id, err := parseOne(fs, args, "a rule ID: find it with \"fieldlink rule list\"")
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	if err := client.DeleteRule(ctx, id); err != nil {
		return api.explain(err)
	}
	fmt.Fprintf(stdout, "Deleted rule %s\n", id)
	return nil
}

// eventIDs collects repeated --event flags.
type eventIDs []int64

func (e *eventIDs) String() string {
	parts := make([]string, len(*e))
	for i, id := range *e {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (e *eventIDs) Set(value string) error {
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil || id < 1 {
		return fmt.Errorf("event ID %q is invalid: event IDs are numbers, as \"fieldlink event list\" shows", value)
	}
	*e = append(*e, id)
	return nil
}

func runRuleSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rule simulate --hook ID", "Shows what the hook's rules would do to recent events, chosen events or payloads in a file. Nothing is written to Jira, but items call their APIs.", stderr)
	api := addAPIFlags(fs)
	hook := fs.String("hook", "", "`ID` of the hook whose rule set runs")
	recent := fs.Int("recent", 0, "simulate the hook's `number` most recent events (at most 100)")
	var events eventIDs
	fs.Var(&events, "event", "simulate the stored event with this `ID`; repeat for more")
	file := fs.String("f", "", "JSON `file` with a Jira webhook body or issue, or an array of them (- for standard input)")
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	if *hook == "" {
		return errors.New("--hook is missing: give the ID of the hook whose rules to simulate")
	}
	body := httpapi.SimulateBody{Hook: *hook, Events: events, Recent: *recent}
	if *file != "" {
		payloads, err := readPayloads(*file)
		if err != nil {
			return err
		}
		body.Payloads = payloads
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	result, err := client.SimulateRules(ctx, body)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, result)
	}
	if len(result.Items) == 0 {
		fmt.Fprintln(stdout, "No tickets to simulate: the hook has no stored events yet.")
		return nil
	}
	return writeSimulationTable(stdout, result.Items)
}

// readPayloads reads one payload object or an array of them.
func readPayloads(file string) ([]json.RawMessage, error) {
	raw, name, err := readInput(file)
	if err != nil {
		return nil, fmt.Errorf("read payloads from %s: %w", name, err)
	}

	raw = bytes.TrimSpace(raw)
	if bytes.HasPrefix(raw, []byte("[")) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%s is not a JSON array of payloads: %w", name, err)
		}
		return list, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not valid JSON: give a Jira webhook body, a Jira issue, or an array of them", name)
	}
	return []json.RawMessage{raw}, nil
}

// readInput reads a file, or standard input for "-", and returns its name
// for messages.
func readInput(file string) ([]byte, string, error) {
	if file == "-" {
		raw, err := io.ReadAll(stdin)
		return raw, "standard input", err
	}
	raw, err := os.ReadFile(file)
	return raw, file, err
}

// writeSimulationTable writes one line per ticket: the rule that would run
// and the fields and other actions it would write.
func writeSimulationTable(w io.Writer, items []httpapi.SimulationBody) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TICKET\tREPORTER\tRULE\tFIELDS\tOTHER\tREASON")
	for _, it := range items {
		rule := it.Rule
		if len(it.Rules) > 1 {
			rule = strings.Join(it.Rules, ", ")
		}

		var fields []string
		for _, id := range sortedKeys(it.Fields) {
			fields = append(fields, id+"="+compactJSON(it.Fields[id]))
		}
		var other []string
		if len(it.Labels) > 0 {
			other = append(other, "labels "+strings.Join(it.Labels, ", "))
		}
		if it.Comment != "" {
			other = append(other, "comment")
		}
		if len(it.Participants) > 0 {
			other = append(other, "participants "+strings.Join(it.Participants, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", orDash(it.IssueKey), orDash(it.Reporter), orDash(rule),
			orDash(strings.Join(fields, " ")), orDash(strings.Join(other, "; ")), it.Reason)
	}
	return tw.Flush()
}

func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}
