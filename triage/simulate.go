package triage

import (
	"context"
	"encoding/json"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// Simulate processes one webhook payload for the hook as Process would,
// without writing to Jira and without touching stored events. The payload
// is a Jira webhook body, or a bare Jira issue {"id", "key", "fields"} as
// Jira Automation sends it; a bare issue is not checked against the hook's
// Events.
//
// The outcome lists what would be written (FieldsWritten, LabelsAdded,
// Commented, ParticipantsAdded) or, in Reason, why nothing would be. Jira
// is read: the reporter's email through the hook's email fallback, and the
// issue's edit screen, whose problems also go in Reason. The error is a
// *fieldlink.Error with code EInvalid for a payload that is neither shape;
// other failures are returned with the outcome learned so far.
func (p *Processor) Simulate(ctx context.Context, hook fieldlink.Hook, payload []byte) (fieldlink.Outcome, error) {
	wh, bare, err := parsePayload(payload)
	if err != nil {
		return fieldlink.Outcome{}, err
	}

	pl, outcome, err := p.route(ctx, hook, wh, !bare)
	if err != nil || pl == nil {
		return outcome, err
	}

	if err := p.checkEditScreen(ctx, pl); err != nil {
		outcome.Reason = err.Error()
		return outcome, nil
	}

	a := pl.actions
	if len(a.Fields) > 0 || len(a.AddLabels) > 0 {
		outcome.FieldsWritten = a.FieldIDs()
		outcome.LabelsAdded = a.AddLabels
	}
	outcome.Commented = len(a.Comments) > 0
	outcome.ParticipantsAdded = a.RequestParticipants
	return outcome, nil
}

// parsePayload decodes a webhook body, or a bare issue, which it reports
// with bare set. A body with a webhookEvent member is a webhook.
func parsePayload(payload []byte) (jira.Webhook, bool, error) {
	var head struct {
		WebhookEvent string `json:"webhookEvent"`
	}
	if err := json.Unmarshal(payload, &head); err != nil || head.WebhookEvent != "" {
		wh, err := jira.ParseWebhook(payload)
		return wh, false, err
	}

	wh, err := jira.ParseIssue(payload)
	return wh, true, err
}
