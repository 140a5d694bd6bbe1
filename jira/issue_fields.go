package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// IssueFields returns the current values of the fields with the given IDs,
// from GET /rest/api/3/issue/{key}?fields=…. A field without a value is
// null or absent. Errors are those of EditIssue.
func (c *Client) IssueFields(ctx context.Context, ds fieldlink.Datasource, key string, ids []string) (map[string]json.RawMessage, error) {
	operation := "get issue " + key
	path := issuePath(key)
	if len(ids) > 0 {
		path += "?fields=" + url.QueryEscape(strings.Join(ids, ","))
	}

	resp, err := c.send(ctx, ds, operation, key, fieldlink.UpstreamRequest{
		Method: http.MethodGet,
		Path:   path,
		Header: acceptJSON(),
	})
	if err != nil {
		return nil, err
	}

	var body struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", operation, err)
	}
	if body.Fields == nil {
		body.Fields = map[string]json.RawMessage{}
	}
	return body.Fields, nil
}
