package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

const eventUsage = `Usage: fieldlink event COMMAND [flags]

Shows ticket events and replays failed ones through the REST API of a running fieldlink server.
Failed events are the dead letters: list them with "fieldlink event list --status failed".

Commands:
  list        list events, newest first (--status, --issue, --hook, --limit)
  show ID     show an event and its outcome
  replay ID   process a failed or processed event again

Every command takes --server URL (env FIELDLINK_URL, default http://127.0.0.1:8080) and reads the
admin token from FIELDLINK_ADMIN_TOKEN (or --token). Run "fieldlink event COMMAND -h" for its flags.
`

func runEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "event", eventUsage, []subcommand{
		{"list", runEventList},
		{"show", runEventShow},
		{"replay", runEventReplay},
	}, args, stdout, stderr)
}

func runEventList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("event list", "Lists ticket events, newest first.", stderr)
	api := addAPIFlags(fs)
	status := fs.String("status", "", "only events with this `status`: pending, processed or failed")
	issue := fs.String("issue", "", "only events of this issue `key`, such as ITH-1")
	hook := fs.String("hook", "", "only events of this hook `ID`")
	limit := fs.Int("limit", 50, "maximum `number` of events, from 1 to 1000")
	before := fs.Int64("before", 0, "only events older than this event `ID`, for the next page")
	output := addOutputFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	list, err := client.FindEvents(ctx, fieldlink.EventFilter{Status: fieldlink.EventStatus(*status), IssueKey: *issue, HookID: *hook, BeforeID: *before, Limit: *limit})
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, list)
	}
	if len(list.Items) == 0 {
		fmt.Fprintln(stdout, "No events match.")
		return nil
	}
	if err := writeEventTable(stdout, list.Items); err != nil {
		return err
	}
	if list.NextBefore != 0 {
		fmt.Fprintf(stdout, "More events may match: add --before %d for the next page.\n", list.NextBefore)
	}
	return nil
}

func runEventShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("event show ID", "Shows an event and what processing it did.", stderr)
	api := addAPIFlags(fs)
	output := addOutputFlag(fs)
	id, err := parseEventID(fs, args)
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	e, err := client.GetEvent(ctx, id)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, e)
	}
	return writeEvent(stdout, e)
}

func runEventReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("event replay ID", "Processes a failed or processed event again from its stored payload.", stderr)
	api := addAPIFlags(fs)
	output := addOutputFlag(fs)
	id, err := parseEventID(fs, args)
	if err != nil {
		return err
	}

	client, err := api.client()
	if err != nil {
		return err
	}
	e, err := client.ReplayEvent(ctx, id)
	if err != nil {
		return api.explain(err)
	}

	if *output == outputJSON {
		return writeJSON(stdout, e)
	}
	fmt.Fprintf(stdout, "Event %d (%s) is pending again: follow it with \"fieldlink event show %d\".\n", e.ID, e.IssueKey, e.ID)
	return nil
}

// parseEventID parses the flags and the one event ID argument.
func parseEventID(fs *flag.FlagSet, args []string) (int64, error) {
	positional, err := parseOne(fs, args, "an event ID: find it with \"fieldlink event list\"")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(positional, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("event ID %q is invalid: event IDs are numbers, as \"fieldlink event list\" shows", positional)
	}
	return id, nil
}

// parseOne parses the flags and returns the one positional argument. A
// missing argument gives an error stating that the command needs description.
func parseOne(fs *flag.FlagSet, args []string, description string) (string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if outputFlag := fs.Lookup("o"); outputFlag != nil {
		if err := checkOutput(outputFlag.Value.String()); err != nil {
			return "", err
		}
	}

	switch len(positional) {
	case 1:
		return positional[0], nil
	case 0:
		return "", fmt.Errorf("%s needs %s", fs.Name(), description)
	}
	return "", fmt.Errorf("%s takes one argument, got %q", fs.Name(), positional)
}

// writeEventTable writes one line per event with what its processing did.
func writeEventTable(w io.Writer, events []httpapi.EventBody) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tISSUE\tHOOK\tSTATUS\tRULE\tDETAIL")
	for _, e := range events {
		rule, detail := "-", ""
		if o := e.Outcome; o != nil {
			if o.Rule != "" {
				rule = o.Rule
			}
			detail = o.Reason
			if detail == "" && len(o.FieldsWritten) > 0 {
				detail = "set " + strings.Join(o.FieldsWritten, ", ")
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.ReceivedAt.Local().Format(time.DateTime), e.IssueKey, e.Hook, e.Status, rule, detail)
	}
	return tw.Flush()
}

// writeEvent writes an event and its outcome as name-value lines.
func writeEvent(w io.Writer, e httpapi.EventBody) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", name, value)
		}
	}
	row("ID", strconv.FormatInt(e.ID, 10))
	row("Issue", e.IssueKey)
	row("Hook", e.Hook)
	row("Kind", e.Kind)
	row("Delivery", e.DeliveryID)
	row("Received", e.ReceivedAt.Local().Format(time.DateTime))
	row("Status", e.Status)
	if o := e.Outcome; o != nil {
		row("Reporter", o.Reporter)
		for _, name := range sortedKeys(o.Items) {
			row("Item "+name, orDash(o.Items[name]))
		}
		row("Rule", o.Rule)
		row("Rules", strings.Join(o.Rules, ", "))
		row("Fields set", strings.Join(o.FieldsWritten, ", "))
		row("Labels added", strings.Join(o.LabelsAdded, ", "))
		row("Commented", yesOrEmpty(o.Commented))
		row("Participants", strings.Join(o.ParticipantsAdded, ", "))
		if o.Attempts > 0 {
			row("Attempts", strconv.Itoa(o.Attempts))
		}
		row("Reason", o.Reason)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
