package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fieldlink/fieldlink"
)

// AddRequestParticipants adds the accounts as participants of the Jira
// Service Management request key by sending {"accountIds": […]} to
// POST /rest/servicedeskapi/request/{key}/participant. Errors are those of EditIssue.
func (c *Client) AddRequestParticipants(ctx context.Context, ds fieldlink.Datasource, key string, accountIDs []string) error {
	if len(accountIDs) == 0 {
		return nil
	}

	body, err := json.Marshal(struct {
		AccountIDs []string `json:"accountIds"`
	}{accountIDs})
	if err != nil {
		return fmt.Errorf("add request participants to %s: encode body: %w", key, err)
	}

	_, err = c.send(ctx, ds, "add request participants to "+key, key, fieldlink.UpstreamRequest{
		Method: http.MethodPost,
		Path:   "/rest/servicedeskapi/request/" + url.PathEscape(key) + "/participant",
		Header: jsonHeader(),
		Body:   body,
	})
	return err
}
