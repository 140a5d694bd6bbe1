// Package triage turns one stored Jira ticket event into an outcome: it
// checks that the event's hook handles the issue, builds the ticket context,
// evaluates the items the rules need, matches the hook's rule set and writes
// the matched rules' actions back to the issue.
package triage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
)

// ItemEvaluator evaluates a connected item for a ticket, after the items it
// depends on. *item.Engine implements it.
type ItemEvaluator interface {
	EvaluateWithDependencies(ctx context.Context, it fieldlink.Item, r item.Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error)
}

// JiraClient reads and writes Jira issues through a Jira datasource.
// *jira.Client implements it.
type JiraClient interface {
	EditMeta(ctx context.Context, ds fieldlink.Datasource, key string) (map[string]jira.FieldMeta, error)
	UpdateIssue(ctx context.Context, ds fieldlink.Datasource, key string, u jira.IssueUpdate) error
	IssueFields(ctx context.Context, ds fieldlink.Datasource, key string, ids []string) (map[string]json.RawMessage, error)
	AddComment(ctx context.Context, ds fieldlink.Datasource, key, text string, internal bool) error
	Comments(ctx context.Context, ds fieldlink.Datasource, key string) ([]string, error)
	AddRequestParticipants(ctx context.Context, ds fieldlink.Datasource, key string, accountIDs []string) error
	User(ctx context.Context, ds fieldlink.Datasource, accountID string) (fieldlink.User, error)
}

// Store is the storage the processor reads configuration from and records
// outcomes in.
type Store interface {
	fieldlink.DatasourceStore
	fieldlink.ItemStore
	fieldlink.RuleStore
	fieldlink.HookStore
	fieldlink.EventStore
}

// Processor processes ticket events. Process and Simulate are safe for
// concurrent use.
type Processor struct {
	Store  Store
	Items  ItemEvaluator
	Jira   JiraClient
	Logger *slog.Logger
}

// TransientError wraps a failure worth retrying later: an upstream that was
// unreachable, throttled or failing with a 5xx status.
type TransientError struct {
	Err error

	// RetryAfter is the wait that Jira or an item's API asked for with
	// Retry-After, or zero when it asked for none and the queue's backoff
	// applies.
	RetryAfter time.Duration
}

// Error returns the wrapped error's message.
func (e *TransientError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *TransientError) Unwrap() error { return e.Err }

// Process handles the event with the given ID. An event that is no longer
// pending is left alone, so a job that runs twice writes to Jira once.
//
// Before the first write to Jira, Process stores the outcome with Writing
// set while the event stays pending. When a later run finds that mark (the
// earlier run crashed or failed after it), it reads the issue first and
// skips the edit and the comments that already landed.
//
// When the failure is transient and final is false, Process records the
// attempt, leaves the event pending and returns a *TransientError for a
// retry. Otherwise it records the outcome (processed or failed) and returns
// nil.
func (p *Processor) Process(ctx context.Context, eventID int64, final bool) error {
	ev, err := p.Store.FindEvent(ctx, eventID)
	if err != nil {
		return fmt.Errorf("load event %d: %w", eventID, err)
	}
	if ev.Status != fieldlink.EventPending {
		p.logger().Debug("event already finished", "event", eventID, "status", ev.Status)
		return nil
	}

	var previous fieldlink.Outcome
	if ev.Outcome != nil {
		previous = *ev.Outcome
	}
	run := &run{processor: p, eventID: eventID, resume: previous.Writing}

	outcome, err := p.process(ctx, run, ev)
	outcome.Attempts = previous.Attempts + 1

	var transient *TransientError
	isTransient := errors.As(err, &transient)
	if isTransient && !final {
		outcome.Reason = fmt.Sprintf("%v (attempt %d failed: fieldlink retries the event)", err, outcome.Attempts)
		outcome.Writing = run.writing || previous.Writing
		p.logger().Warn("ticket event will be retried", "event", eventID, "issue", ev.IssueKey,
			"attempt", outcome.Attempts, "retryAfter", transient.RetryAfter, "error", err)
		if err := p.Store.FinishEvent(ctx, eventID, fieldlink.EventPending, outcome); err != nil {
			return fmt.Errorf("record attempt %d of event %d: %w", outcome.Attempts, eventID, err)
		}
		return err
	}

	status := fieldlink.EventProcessed
	switch {
	case isTransient:
		// The queue's last attempt: the event stays failed until an admin
		// replays it.
		status = fieldlink.EventFailed
		outcome.Reason = fmt.Sprintf("%v (attempt %d failed and was the last: once the failing service accepts requests again, replay the event with \"fieldlink event replay %d\")",
			err, outcome.Attempts, eventID)
		p.logger().Error("ticket event failed after its last attempt", "event", eventID, "issue", ev.IssueKey, "attempts", outcome.Attempts, "error", err)
	case err != nil:
		status = fieldlink.EventFailed
		outcome.Reason = err.Error()
		p.logger().Error("ticket event failed", "event", eventID, "issue", ev.IssueKey, "error", err)
	default:
		p.logger().Info("ticket event processed", "event", eventID, "issue", ev.IssueKey,
			"rules", outcome.Rules, "fields", outcome.FieldsWritten, "labels", outcome.LabelsAdded,
			"commented", outcome.Commented, "participants", outcome.ParticipantsAdded, "reason", outcome.Reason)
	}
	outcome.Writing = false
	if err := p.Store.FinishEvent(ctx, eventID, status, outcome); err != nil {
		return fmt.Errorf("record outcome of event %d: %w", eventID, err)
	}
	return nil
}

// process routes the stored event and writes the planned actions.
func (p *Processor) process(ctx context.Context, r *run, ev fieldlink.Event) (fieldlink.Outcome, error) {
	hook, err := p.Store.FindHook(ctx, ev.HookID)
	if err != nil {
		return fieldlink.Outcome{IssueKey: ev.IssueKey}, fmt.Errorf("load hook %q: %w", ev.HookID, err)
	}

	wh, err := jira.ParseWebhook(ev.Payload)
	if err != nil {
		return fieldlink.Outcome{IssueKey: ev.IssueKey}, fmt.Errorf("parse stored webhook: %w", err)
	}

	plan, outcome, err := p.route(ctx, hook, wh, true)
	if err != nil || plan == nil {
		return outcome, err
	}

	err = r.write(ctx, plan, &outcome)
	return outcome, err
}

// run is one processing of a stored event.
type run struct {
	processor *Processor
	eventID   int64
	// resume reports whether an earlier run marked the event as writing.
	resume bool
	// writing reports whether this run marked it.
	writing bool
}

// markWriting stores the outcome with Writing set, the event still pending,
// before the first write to Jira.
func (r *run) markWriting(ctx context.Context, outcome fieldlink.Outcome) error {
	if r.writing || r.resume {
		return nil
	}
	outcome.Writing = true
	if err := r.processor.Store.FinishEvent(ctx, r.eventID, fieldlink.EventPending, outcome); err != nil {
		return fmt.Errorf("record that the write of event %d started: %w", r.eventID, err)
	}
	r.writing = true
	return nil
}

func describeReporter(u *fieldlink.User) string {
	if u == nil {
		return "(no reporter)"
	}
	name := u.DisplayName
	if name == "" {
		name = u.AccountID
	}
	if u.EmailAddress == "" {
		return name + " <email hidden>"
	}
	return name + " <" + u.EmailAddress + ">"
}

// describeItems lists the items' values for a reason an admin reads, telling
// "not found" (no rows selected) apart from "no value" (a row without one).
func describeItems(results map[string]fieldlink.ItemResult) string {
	parts := make([]string, 0, len(results))
	for _, name := range sortedKeys(results) {
		res := results[name]
		value := res.Text
		switch {
		case res.Rows == 0:
			value = "not found"
		case value == "":
			value = "no value"
		}
		parts = append(parts, name+": "+value)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p *Processor) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
