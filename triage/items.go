package triage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/rule"
)

// evaluateItems evaluates every item the rules refer to and records each
// item's text in texts. A non-empty reason means the ticket cannot be routed
// and explains why; an error means the event failed or should be retried.
func (p *Processor) evaluateItems(ctx context.Context, rules []fieldlink.Rule, tc fieldlink.TicketContext, texts map[string]string) (map[string]fieldlink.ItemResult, string, error) {
	names, err := rule.ItemNames(rules)
	if err != nil {
		return nil, "", fmt.Errorf("read item names from rules: %w", err)
	}

	all, err := p.Store.ListItems(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list items: %w", err)
	}
	byName := make(map[string]fieldlink.Item, len(all))
	for _, it := range all {
		byName[it.Name] = it
	}

	results := make(map[string]fieldlink.ItemResult, len(names))
	for _, name := range names {
		it, ok := byName[name]
		if !ok {
			return nil, "", fmt.Errorf("rule %s refers to item %q, which does not exist: create the item or fix the rule's condition",
				rulesNaming(rules, name), name)
		}
		ds, err := p.Store.FindDatasource(ctx, it.DatasourceID)
		if err != nil {
			return nil, "", fmt.Errorf("load datasource of item %q: %w", name, err)
		}

		res, err := p.Items.Evaluate(ctx, it, ds, tc)
		if err != nil {
			reason, err := classifyItemError(name, tc, err)
			return nil, reason, err
		}
		results[name] = res
		texts[name] = res.Text
	}
	return results, "", nil
}

// rulesNaming returns the quoted names of the rules whose conditions refer
// to the item.
func rulesNaming(rules []fieldlink.Rule, itemName string) string {
	var names []string
	for _, r := range rules {
		refs, err := rule.ItemNames([]fieldlink.Rule{r})
		if err == nil && slices.Contains(refs, itemName) {
			names = append(names, strconv.Quote(r.Name))
		}
	}
	return strings.Join(names, ", ")
}

// classifyItemError sorts an item failure into a reason the ticket cannot be
// routed (the lookup could not be made), a final error, or a transient error.
func classifyItemError(name string, tc fieldlink.TicketContext, err error) (string, error) {
	var missing *item.MissingValueError
	if errors.As(err, &missing) {
		if strings.HasPrefix(missing.Expr, "reporter") && tc.Reporter == nil {
			return fmt.Sprintf("the ticket has no reporter, so item %q was not looked up", name), nil
		}
		if strings.HasPrefix(missing.Expr, "reporter.emailAddress") && tc.Reporter.EmailAddress == "" {
			return fmt.Sprintf("reporter email not visible: Jira hides it (the user's privacy settings), so item %q was not looked up", name), nil
		}
		return fmt.Sprintf("item %q not looked up: %v", name, err), nil
	}

	var status *item.UpstreamStatusError
	if errors.As(err, &status) {
		if status.Status == 429 || status.Status >= 500 {
			return "", &TransientError{Err: fmt.Errorf("item %q: %w", name, err)}
		}
		return "", fmt.Errorf("item %q: %w", name, err)
	}

	var tokenErr *credential.TokenError
	if errors.As(err, &tokenErr) {
		if tokenErr.Status == 429 || tokenErr.Status >= 500 {
			return "", &TransientError{Err: fmt.Errorf("item %q: %w", name, err)}
		}
		return "", fmt.Errorf("item %q: %w", name, err)
	}

	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return "", &TransientError{Err: fmt.Errorf("item %q: %w", name, err)}
	}
	return "", fmt.Errorf("item %q: %w", name, err)
}
