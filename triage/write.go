package triage

import (
	"context"
	"fmt"
	"slices"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// write applies the plan to the issue and records in outcome what it
// wrote: first the edit screen check, then one edit with the fields and
// labels, then the comments in order, then the request participants. When
// r.resume is set, an earlier run may have written some of it, so the edit
// is skipped when the issue already holds the planned values and a comment
// is skipped when the issue already has one with the same text.
func (r *run) write(ctx context.Context, pl *plan, outcome *fieldlink.Outcome) error {
	p := r.processor
	a := pl.actions

	if err := p.checkEditScreen(ctx, pl); err != nil {
		return err
	}
	if err := r.markWriting(ctx, *outcome); err != nil {
		return err
	}

	if len(a.Fields) > 0 || len(a.AddLabels) > 0 {
		done := false
		if r.resume {
			var err error
			if done, err = p.issueHolds(ctx, pl); err != nil {
				return err
			}
		}
		if done {
			p.logger().Info("issue already holds the planned fields, edit skipped", "event", r.eventID, "issue", pl.key)
		} else {
			err := p.Jira.UpdateIssue(ctx, pl.ds, pl.key, jira.IssueUpdate{Fields: a.Fields, AddLabels: a.AddLabels})
			if err != nil {
				return jiraFailure(wrapIssue(pl.key, "edit", err))
			}
		}
		outcome.FieldsWritten = a.FieldIDs()
		outcome.LabelsAdded = a.AddLabels
	}

	if err := r.comment(ctx, pl); err != nil {
		return err
	}
	outcome.Commented = len(a.Comments) > 0

	if len(a.RequestParticipants) > 0 {
		// NOTE: a resumed run adds the participants again. It relies on
		// Jira keeping an account that already participates, which was
		// not checked against a live site.
		if err := p.Jira.AddRequestParticipants(ctx, pl.ds, pl.key, a.RequestParticipants); err != nil {
			return jiraFailure(wrapIssue(pl.key, "add request participants to", err))
		}
		outcome.ParticipantsAdded = a.RequestParticipants
	}
	return nil
}

// comment posts the plan's comments, skipping those whose text the issue
// already has: a resumed run may have posted them, and an update event or a
// replay runs the same rule again.
func (r *run) comment(ctx context.Context, pl *plan) error {
	p := r.processor
	if len(pl.actions.Comments) == 0 {
		return nil
	}

	existing, err := p.Jira.Comments(ctx, pl.ds, pl.key)
	if err != nil {
		return jiraFailure(wrapIssue(pl.key, "read the comments of", err))
	}

	for _, c := range pl.actions.Comments {
		if slices.Contains(existing, c.Text) {
			p.logger().Info("issue already has the comment, not posted again", "event", r.eventID, "issue", pl.key, "rule", c.Rule)
			continue
		}
		if err := p.Jira.AddComment(ctx, pl.ds, pl.key, c.Text, c.Internal); err != nil {
			return jiraFailure(wrapIssue(pl.key, "comment on", err))
		}
	}
	return nil
}

// wrapIssue names the issue in an error that does not come from Jira's
// response, such as a connection failure; a *jira.EditError already names
// it.
func wrapIssue(key, operation string, err error) error {
	if _, ok := err.(*jira.EditError); ok {
		return err
	}
	return fmt.Errorf("%s issue %s: %w", operation, key, err)
}
