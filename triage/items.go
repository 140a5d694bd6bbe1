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
	"github.com/fieldlink/fieldlink/upstream"
)

// evaluateItems evaluates every item the rules refer to, each after the
// items it depends on, and records each item's text in texts. A non-empty
// reason means the ticket cannot be routed and explains why; an error means
// the event failed or should be retried. emailNote explains why a hidden
// reporter email was not found through the hook's email fallback.
func (p *Processor) evaluateItems(ctx context.Context, rules []fieldlink.Rule, tc fieldlink.TicketContext, texts map[string]string, emailNote string) (map[string]fieldlink.ItemResult, string, error) {
	names, err := rule.ItemNames(rules)
	if err != nil {
		return nil, "", fmt.Errorf("read item names from rules: %w", err)
	}

	all, err := p.Store.ListItems(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("list items: %w", err)
	}
	resolver := newListResolver(p.Store, all)

	named := make(map[string]bool, len(names))
	for _, name := range names {
		if _, ok := resolver.byName[name]; !ok {
			return nil, "", fmt.Errorf("rule %s refers to item %q, which does not exist: create the item or fix the rule's condition",
				rulesNaming(rules, name), name)
		}
		named[name] = true
	}

	ordered, err := orderNeeded(names, resolver.byName)
	if err != nil {
		return nil, "", err
	}

	results := make(map[string]fieldlink.ItemResult, len(names))
	for _, it := range ordered {
		if !named[it.Name] {
			continue
		}
		tracker := &datasourceTracker{Resolver: resolver}
		res, err := p.Items.EvaluateWithDependencies(ctx, it, tracker, tc)
		if err != nil {
			reason, err := classifyItemError(it.Name, tc, err, emailNote)
			return nil, reason, withDatasource(err, tracker.last)
		}
		results[it.Name] = res
		texts[it.Name] = res.Text
	}
	return results, "", nil
}

// orderNeeded returns the named items and the items they depend on,
// transitively, each after its dependencies. A dependency on an unknown
// item or a cycle fails with an error that names it.
func orderNeeded(names []string, byName map[string]fieldlink.Item) ([]fieldlink.Item, error) {
	var needed []fieldlink.Item
	seen := make(map[string]bool)
	queue := slices.Clone(names)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		it, ok := byName[name]
		if seen[name] || !ok {
			// item.Order reports the unknown name with the item that
			// refers to it.
			continue
		}
		seen[name] = true
		needed = append(needed, it)

		deps, err := item.Dependencies(it)
		if err != nil {
			return nil, fmt.Errorf("read the items that item %q refers to: %w", name, err)
		}
		queue = append(queue, deps...)
	}

	ordered, err := item.Order(needed)
	if err != nil {
		return nil, fmt.Errorf("order items by their dependencies: %w", err)
	}
	return ordered, nil
}

func newListResolver(store Store, items []fieldlink.Item) listResolver {
	resolver := listResolver{store: store, byName: make(map[string]fieldlink.Item, len(items))}
	for _, it := range items {
		resolver.byName[it.Name] = it
	}
	return resolver
}

// listResolver finds items in a list read once per event, so that every
// item of one ticket sees the same configuration, and datasources in the
// store. It implements item.Resolver.
type listResolver struct {
	store  Store
	byName map[string]fieldlink.Item
}

// ItemByName returns the listed item with the name, or an ENotFound error.
func (r listResolver) ItemByName(_ context.Context, name string) (fieldlink.Item, error) {
	it, ok := r.byName[name]
	if !ok {
		return fieldlink.Item{}, fieldlink.Errorf(fieldlink.ENotFound, "no item is named %q: item names are case-sensitive", name)
	}
	return it, nil
}

// Datasource returns the stored datasource with the ID.
func (r listResolver) Datasource(ctx context.Context, id string) (fieldlink.Datasource, error) {
	return r.store.FindDatasource(ctx, id)
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
// emailNote, when set, explains why the hook's email fallback found no email.
func classifyItemError(name string, tc fieldlink.TicketContext, err error, emailNote string) (string, error) {
	var missing *item.MissingValueError
	if errors.As(err, &missing) {
		if strings.HasPrefix(missing.Expr, "reporter") && tc.Reporter == nil {
			return fmt.Sprintf("the ticket has no reporter, so item %q was not looked up", name), nil
		}
		if strings.HasPrefix(missing.Expr, "reporter.emailAddress") && tc.Reporter.EmailAddress == "" && emailNote != "" {
			return fmt.Sprintf("reporter email not visible (%s), so item %q was not looked up", emailNote, name), nil
		}
		if strings.HasPrefix(missing.Expr, "reporter.emailAddress") && tc.Reporter.EmailAddress == "" {
			return fmt.Sprintf("reporter email not visible: Jira hides it (the user's privacy settings), so item %q was not looked up", name), nil
		}
		return fmt.Sprintf("item %q not looked up: %v", name, err), nil
	}

	// The items engine's errors name the item, so the prefix is left out
	// for them.
	failure := fmt.Errorf("%s%w", itemPrefix(name, err), err)

	// An API that asked for a longer wait than one lookup allows, such as
	// Graph answering 429 with "Retry-After: 120", gets that wait before
	// the event is tried again.
	var later *upstream.RetryLaterError
	if errors.As(err, &later) {
		return "", &TransientError{Err: failure, RetryAfter: later.RetryAfter}
	}

	var status *item.UpstreamStatusError
	if errors.As(err, &status) {
		if status.Status == 429 || status.Status >= 500 {
			return "", &TransientError{Err: failure}
		}
		return "", failure
	}

	var tokenErr *credential.TokenError
	if errors.As(err, &tokenErr) {
		if tokenErr.Status == 429 || tokenErr.Status >= 500 {
			return "", &TransientError{Err: failure}
		}
		return "", failure
	}

	if isNetworkError(err) {
		return "", &TransientError{Err: failure}
	}
	return "", failure
}

// isNetworkError reports whether err is a connection failure or a timeout.
func isNetworkError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded)
}
