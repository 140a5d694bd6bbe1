package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/fieldlink/fieldlink"
)

// Client calls the Jira Cloud REST API v3 through a Jira datasource, whose
// base URL is the Jira site and whose authentication is basic auth with an
// account's email address and API token.
type Client struct {
	up  fieldlink.Upstream
	now func() time.Time
}

// NewClient returns a Client that sends every request through up, so that the
// datasource's base URL, headers, authentication and timeout apply.
func NewClient(up fieldlink.Upstream) *Client {
	return &Client{up: up, now: time.Now}
}

// EditIssue sets fields on the issue with the given key or ID by sending
// PUT /rest/api/3/issue/{key} with {"fields": fields}. Each value must be in
// Jira's JSON shape for its field. Jira's default for notifyUsers applies.
//
// It returns nil for a 2xx status, which for Jira is 204 No Content. Any
// other status gives an *EditError with Jira's messages, and 409, 429 and 5xx
// ones are Retryable. An error of another type means the key was empty or the
// request got no response.
func (c *Client) EditIssue(ctx context.Context, ds fieldlink.Datasource, key string, fields map[string]json.RawMessage) error {
	return c.UpdateIssue(ctx, ds, key, IssueUpdate{Fields: fields})
}

// Myself returns the Jira account that the datasource authenticates as, from
// GET /rest/api/3/myself. Its EmailAddress is empty when the account's
// privacy settings hide it.
func (c *Client) Myself(ctx context.Context, ds fieldlink.Datasource) (fieldlink.User, error) {
	resp, err := c.up.Do(ctx, ds, fieldlink.UpstreamRequest{
		Method: http.MethodGet,
		Path:   "/rest/api/3/myself",
		Header: http.Header{"Accept": {"application/json"}},
	})
	if err != nil {
		return fieldlink.User{}, fmt.Errorf("get current Jira user through datasource %q: %w", ds.Name, err)
	}

	if resp.Status != http.StatusOK {
		e := newEditError("", resp, c.now())
		return fieldlink.User{}, fmt.Errorf("get current Jira user through datasource %q: Jira returned %d %s%s%s",
			ds.Name, resp.Status, http.StatusText(resp.Status), e.detail(), e.hint())
	}

	var u fieldlink.User
	if err := json.Unmarshal(resp.Body, &u); err != nil {
		return fieldlink.User{}, fmt.Errorf("get current Jira user through datasource %q: decode response: %w", ds.Name, err)
	}
	if u.AccountID == "" {
		return fieldlink.User{}, fmt.Errorf("get current Jira user through datasource %q: the response has no accountId: check that the base URL is the Jira site, such as https://example.atlassian.net", ds.Name)
	}
	return u, nil
}

// issuePath returns the path of an issue, with the key escaped as one path
// segment so that a key holding "/" or "?" cannot change the request.
func issuePath(key string) string {
	return "/rest/api/3/issue/" + url.PathEscape(key)
}

func jsonHeader() http.Header {
	return http.Header{
		"Accept":       {"application/json"},
		"Content-Type": {"application/json"},
	}
}
