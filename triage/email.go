package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// Hook.EmailFallback values.
const (
	fallbackJira       = "jira"
	fallbackItemPrefix = "item:"
)

// fillReporterEmail returns tc with the reporter's email found through the
// hook's EmailFallback when Jira hid it. note explains why the email is still
// hidden, for the reason of an item that needs it; it is "" when the
// email is visible or the hook has no fallback.
func (p *Processor) fillReporterEmail(ctx context.Context, hook fieldlink.Hook, tc fieldlink.TicketContext) (fieldlink.TicketContext, string, error) {
	if tc.Reporter == nil || tc.Reporter.EmailAddress != "" || tc.Reporter.AccountID == "" || hook.EmailFallback == "" {
		return tc, "", nil
	}

	var (
		email string
		note  string
		err   error
	)
	switch {
	case hook.EmailFallback == fallbackJira:
		email, err = p.emailFromJira(ctx, hook, tc.Reporter.AccountID)
		note = "Jira user look-up returned none"

	case strings.HasPrefix(hook.EmailFallback, fallbackItemPrefix):
		name := strings.TrimPrefix(hook.EmailFallback, fallbackItemPrefix)
		email, err = p.emailFromItem(ctx, name, tc)
		note = fmt.Sprintf("item %q returned none for account %s", name, tc.Reporter.AccountID)

	default:
		return tc, "", fmt.Errorf("hook %q has an invalid email fallback %q: use \"jira\", \"item:<item name>\" or nothing", hook.Name, hook.EmailFallback)
	}
	if err != nil || email == "" {
		return tc, note, err
	}

	// Copy the reporter so the webhook's own context stays as Jira sent it.
	reporter := *tc.Reporter
	reporter.EmailAddress = email
	tc.Reporter = &reporter
	return tc, "", nil
}

// emailFromJira looks the account up through the hook's Jira datasource.
// Jira returns emailAddress only when the site's privacy settings let the
// datasource's account see it.
func (p *Processor) emailFromJira(ctx context.Context, hook fieldlink.Hook, accountID string) (string, error) {
	ds, err := p.jiraDatasource(ctx, hook)
	if err != nil {
		return "", err
	}

	u, err := p.Jira.User(ctx, ds, accountID)
	if err != nil {
		return "", jiraFailure(fmt.Errorf("find the reporter's email: %w", err))
	}
	return u.EmailAddress, nil
}

// emailFromItem evaluates the item, which maps reporter.accountId to an
// email, and returns its text.
func (p *Processor) emailFromItem(ctx context.Context, name string, tc fieldlink.TicketContext) (string, error) {
	all, err := p.Store.ListItems(ctx)
	if err != nil {
		return "", fmt.Errorf("list items: %w", err)
	}
	resolver := newListResolver(p.Store, all)

	it, err := resolver.ItemByName(ctx, name)
	if err != nil {
		return "", fmt.Errorf("email fallback item %q does not exist: create it or change the hook's email fallback", name)
	}

	tracker := &datasourceTracker{Resolver: resolver}
	res, err := p.Items.EvaluateWithDependencies(ctx, it, tracker, tc)
	if err != nil {
		reason, err := classifyItemError(name, tc, err, "")
		if err != nil {
			return "", withDatasource(err, tracker.last)
		}
		return "", fmt.Errorf("email fallback: %s", reason)
	}
	return strings.TrimSpace(res.Text), nil
}

// jiraFailure marks a Jira failure worth retrying as a *TransientError,
// with the wait Jira asked for.
func jiraFailure(err error) error {
	var editErr *jira.EditError
	if errors.As(err, &editErr) && editErr.Retryable {
		return &TransientError{Err: err, RetryAfter: editErr.RetryAfter}
	}
	if editErr == nil && isNetworkError(err) {
		return &TransientError{Err: err}
	}
	return err
}
