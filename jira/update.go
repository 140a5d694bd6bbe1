package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink"
)

// IssueUpdate is one edit of an issue: field values to set and labels to
// add.
type IssueUpdate struct {
	// Fields maps a field ID to its new value in Jira's JSON shape.
	Fields map[string]json.RawMessage

	// AddLabels are labels added to the issue's labels, keeping the labels
	// it has.
	AddLabels []string
}

// labelOperation is one operation of update.labels, such as {"add": "vip"}.
type labelOperation struct {
	Add string `json:"add"`
}

// UpdateIssue sends one PUT /rest/api/3/issue/{key} with u.Fields as
// "fields" and each of u.AddLabels as an {"add": …} operation of
// update.labels. Errors are those of EditIssue.
func (c *Client) UpdateIssue(ctx context.Context, ds fieldlink.Datasource, key string, u IssueUpdate) error {
	if key == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "edit issue: the issue key is empty: pass the key from the webhook, such as \"ITH-1\"")
	}

	body := struct {
		Fields map[string]json.RawMessage  `json:"fields"`
		Update map[string][]labelOperation `json:"update,omitempty"`
	}{Fields: u.Fields}
	if body.Fields == nil {
		body.Fields = map[string]json.RawMessage{}
	}
	for _, label := range u.AddLabels {
		if body.Update == nil {
			body.Update = map[string][]labelOperation{}
		}
		body.Update["labels"] = append(body.Update["labels"], labelOperation{Add: label})
	}

	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("edit issue %s: encode fields: %w", key, err)
	}

	_, err = c.send(ctx, ds, editOperation(key), key, fieldlink.UpstreamRequest{
		Method: http.MethodPut,
		Path:   issuePath(key),
		Header: jsonHeader(),
		Body:   data,
	})
	return err
}
