package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
	"github.com/fieldlink/fieldlink/rule"
)

// plan is the set of writes that processing makes to one issue.
type plan struct {
	hook    fieldlink.Hook
	ds      fieldlink.Datasource
	key     string
	actions rule.Actions
}

// route decides what to write for the webhook: nil with a Reason in the
// outcome when nothing is to be written, or the plan. checkEvent applies
// the hook's Events to the webhook's event. A returned error means the
// event failed or should be retried; the outcome still carries what was
// learned before the failure.
func (p *Processor) route(ctx context.Context, hook fieldlink.Hook, wh jira.Webhook, checkEvent bool) (*plan, fieldlink.Outcome, error) {
	outcome := fieldlink.Outcome{
		IssueKey: wh.IssueKey,
		Reporter: describeReporter(wh.Ticket.Reporter),
		Items:    map[string]string{},
	}

	if checkEvent && !handlesEvent(hook, wh.Event) {
		outcome.Reason = fmt.Sprintf("event %s is not handled by hook %q: add it to the hook's events to process it", wh.Event, hook.Name)
		return nil, outcome, nil
	}
	if project := projectKey(wh.Ticket); len(hook.ProjectKeys) > 0 && !slices.Contains(hook.ProjectKeys, project) {
		outcome.Reason = fmt.Sprintf("project %s is not handled by hook %q", project, hook.Name)
		return nil, outcome, nil
	}

	all, err := p.Store.ListRules(ctx)
	if err != nil {
		return nil, outcome, fmt.Errorf("list rules: %w", err)
	}
	rules := rule.InSet(all, hook.RuleSet)
	if len(rules) == 0 {
		outcome.Reason = noRulesReason(hook)
		return nil, outcome, nil
	}

	if fields := ownChange(rules, wh); fields != "" {
		outcome.Reason = fmt.Sprintf("the update changed only what the rules of hook %q write (%s), so it is fieldlink's own change and was skipped", hook.Name, fields)
		return nil, outcome, nil
	}

	tc, emailNote, err := p.fillReporterEmail(ctx, hook, wh.Ticket)
	if err != nil {
		return nil, outcome, err
	}
	outcome.Reporter = describeReporter(tc.Reporter)

	results, reason, err := p.evaluateItems(ctx, rules, tc, outcome.Items, emailNote)
	if err != nil || reason != "" {
		outcome.Reason = reason
		return nil, outcome, err
	}

	env := rule.Env{Context: tc, Items: results}
	var matched []fieldlink.Rule
	if hook.MatchAll {
		matched, err = rule.MatchAll(rules, env)
	} else {
		var first fieldlink.Rule
		var ok bool
		first, ok, err = rule.Match(rules, env)
		if ok {
			matched = []fieldlink.Rule{first}
		}
	}
	if err != nil {
		return nil, outcome, err
	}
	if len(matched) == 0 {
		outcome.Reason = "no rule matched " + describeItems(results)
		return nil, outcome, nil
	}
	outcome.Rule = matched[0].Name
	for _, r := range matched {
		outcome.Rules = append(outcome.Rules, r.Name)
	}

	actions, err := rule.Plan(matched, env)
	var missing *rule.MissingValueError
	if errors.As(err, &missing) {
		return nil, outcome, err
	}
	if err != nil {
		return nil, outcome, fmt.Errorf("render the actions of the matched rules: %w", err)
	}
	if actions.Empty() {
		outcome.Reason = fmt.Sprintf("rule %s matched but has no actions: give it fields, labels, a comment or request participants", quotedNames(outcome.Rules))
		return nil, outcome, nil
	}

	ds, err := p.jiraDatasource(ctx, hook)
	if err != nil {
		return nil, outcome, err
	}
	return &plan{hook: hook, ds: ds, key: wh.IssueKey, actions: actions}, outcome, nil
}

// handlesEvent reports whether the hook processes the webhook event. A hook
// without Events processes jira:issue_created only.
func handlesEvent(hook fieldlink.Hook, event string) bool {
	if len(hook.Events) == 0 {
		return event == fieldlink.EventIssueCreated
	}
	return slices.Contains(hook.Events, event)
}

// projectKey returns the key of the ticket's project, or "" when it has
// none.
func projectKey(tc fieldlink.TicketContext) string {
	key, _ := tc.Project["key"].(string)
	return key
}

func noRulesReason(hook fieldlink.Hook) string {
	if hook.RuleSet == "" {
		return "no rules are configured in the default rule set"
	}
	return fmt.Sprintf("no rules are configured in rule set %q of hook %q", hook.RuleSet, hook.Name)
}

// jiraDatasource loads the datasource through which the hook writes.
func (p *Processor) jiraDatasource(ctx context.Context, hook fieldlink.Hook) (fieldlink.Datasource, error) {
	if hook.JiraDatasourceID == "" {
		return fieldlink.Datasource{}, fmt.Errorf("hook %q has no Jira datasource to write to the issue with: set jiraDatasource on the hook", hook.Name)
	}
	ds, err := p.Store.FindDatasource(ctx, hook.JiraDatasourceID)
	if err != nil {
		return fieldlink.Datasource{}, fmt.Errorf("load Jira datasource of hook %q: %w", hook.Name, err)
	}
	return ds, nil
}

func quotedNames(names []string) string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	return strings.Join(quoted, ", ")
}
