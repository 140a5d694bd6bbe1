package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fieldlink/fieldlink"
)

// User returns the Jira user with the account ID, from
// GET /rest/api/3/user?accountId=…. Its EmailAddress is empty when the
// site's or the user's privacy settings hide it from the datasource's
// account. Errors are those of EditIssue, with an empty IssueKey.
func (c *Client) User(ctx context.Context, ds fieldlink.Datasource, accountID string) (fieldlink.User, error) {
	if accountID == "" {
		return fieldlink.User{}, fieldlink.Errorf(fieldlink.EInvalid, "look up Jira user: the account ID is empty")
	}

	operation := fmt.Sprintf("look up Jira user %s", accountID)
	resp, err := c.send(ctx, ds, operation, "", fieldlink.UpstreamRequest{
		Method: http.MethodGet,
		Path:   "/rest/api/3/user?accountId=" + url.QueryEscape(accountID),
		Header: acceptJSON(),
	})
	if err != nil {
		return fieldlink.User{}, err
	}

	var u fieldlink.User
	if err := json.Unmarshal(resp.Body, &u); err != nil {
		return fieldlink.User{}, fmt.Errorf("%s: decode response: %w", operation, err)
	}
	return u, nil
}
