// Package triage turns one stored Jira ticket event into an outcome: it builds
// the ticket context, evaluates the items the rules need, picks the first
// matching rule and writes its fields back to the issue.
package triage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/rule"
)

// ItemEvaluator evaluates a connected item for a ticket, after the items it
// depends on. *item.Engine implements it.
type ItemEvaluator interface {
	EvaluateWithDependencies(ctx context.Context, it fieldlink.Item, r item.Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error)
}

// IssueEditor writes fields to a Jira issue.
type IssueEditor interface {
	EditIssue(ctx context.Context, ds fieldlink.Datasource, key string, fields map[string]json.RawMessage) error
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

// Processor processes ticket events. Process is safe for concurrent use.
type Processor struct {
	Store  Store
	Items  ItemEvaluator
	Jira   IssueEditor
	Logger *slog.Logger
}

// TransientError wraps a failure worth retrying later: an upstream that was
// unreachable, throttled or failing with a 5xx status.
type TransientError struct {
	Err error
}

// Error returns the wrapped error's message.
func (e *TransientError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *TransientError) Unwrap() error { return e.Err }

// Process handles the event with the given ID. An event that is no longer
// pending is left alone, so a job that runs twice writes to Jira once.
//
// When the failure is transient and final is false, Process returns a
// *TransientError and leaves the event pending for a retry. Otherwise it
// records the outcome (processed or failed) and returns nil.
func (p *Processor) Process(ctx context.Context, eventID int64, final bool) error {
	ev, err := p.Store.FindEvent(ctx, eventID)
	if err != nil {
		return fmt.Errorf("load event %d: %w", eventID, err)
	}
	if ev.Status != fieldlink.EventPending {
		p.logger().Debug("event already finished", "event", eventID, "status", ev.Status)
		return nil
	}

	outcome, err := p.route(ctx, ev)

	var transient *TransientError
	if errors.As(err, &transient) && !final {
		p.logger().Warn("ticket event will be retried", "event", eventID, "issue", ev.IssueKey, "error", err)
		return err
	}

	status := fieldlink.EventProcessed
	if err != nil {
		status = fieldlink.EventFailed
		outcome.Reason = err.Error()
		p.logger().Error("ticket event failed", "event", eventID, "issue", ev.IssueKey, "error", err)
	} else {
		p.logger().Info("ticket event processed", "event", eventID, "issue", ev.IssueKey,
			"rule", outcome.Rule, "fields", outcome.FieldsWritten, "reason", outcome.Reason)
	}
	if err := p.Store.FinishEvent(ctx, eventID, status, outcome); err != nil {
		return fmt.Errorf("record outcome of event %d: %w", eventID, err)
	}
	return nil
}

// route computes the outcome of one event. A returned error means the event
// failed; the outcome still carries what was learned before the failure.
func (p *Processor) route(ctx context.Context, ev fieldlink.Event) (fieldlink.Outcome, error) {
	hook, err := p.Store.FindHook(ctx, ev.HookID)
	if err != nil {
		return fieldlink.Outcome{IssueKey: ev.IssueKey}, fmt.Errorf("load hook %q: %w", ev.HookID, err)
	}

	wh, err := jira.ParseWebhook(ev.Payload)
	if err != nil {
		return fieldlink.Outcome{IssueKey: ev.IssueKey}, fmt.Errorf("parse stored webhook: %w", err)
	}
	outcome := fieldlink.Outcome{
		IssueKey: wh.IssueKey,
		Reporter: describeReporter(wh.Ticket.Reporter),
		Items:    map[string]string{},
	}

	rules, err := p.Store.ListRules(ctx)
	if err != nil {
		return outcome, fmt.Errorf("list rules: %w", err)
	}
	if len(rules) == 0 {
		outcome.Reason = "no rules are configured"
		return outcome, nil
	}

	results, reason, err := p.evaluateItems(ctx, rules, wh.Ticket, outcome.Items)
	if err != nil || reason != "" {
		outcome.Reason = reason
		return outcome, err
	}

	matched, ok, err := rule.Match(rules, rule.Env{Context: wh.Ticket, Items: results})
	if err != nil {
		return outcome, err
	}
	if !ok {
		outcome.Reason = "no rule matched " + describeItems(results)
		return outcome, nil
	}
	outcome.Rule = matched.Name

	if err := p.write(ctx, hook, wh.IssueKey, matched); err != nil {
		return outcome, err
	}
	outcome.FieldsWritten = sortedKeys(matched.Fields)
	return outcome, nil
}

// write sets the matched rule's fields on the issue through the hook's Jira
// datasource.
func (p *Processor) write(ctx context.Context, hook fieldlink.Hook, key string, r fieldlink.Rule) error {
	if len(r.Fields) == 0 {
		return nil
	}
	if hook.JiraDatasourceID == "" {
		return fmt.Errorf("hook %q has no Jira datasource to write fields with: set jiraDatasource on the hook", hook.Name)
	}
	ds, err := p.Store.FindDatasource(ctx, hook.JiraDatasourceID)
	if err != nil {
		return fmt.Errorf("load Jira datasource of hook %q: %w", hook.Name, err)
	}

	// A Jira edit error already names the issue and Jira's messages.
	err = p.Jira.EditIssue(ctx, ds, key, r.Fields)
	var editErr *jira.EditError
	if errors.As(err, &editErr) && editErr.Retryable {
		return &TransientError{Err: err}
	}
	if err != nil && editErr == nil {
		return fmt.Errorf("edit issue %s: %w", key, err)
	}
	return err
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
