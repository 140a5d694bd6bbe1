package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

// FindEvents returns the events that match f, newest first, with the
// before value of the next page when the page is full.
func (c *Client) FindEvents(ctx context.Context, f fieldlink.EventFilter) (httpapi.EventListBody, error) {
	query := url.Values{}
	if f.Status != "" {
		query.Set("status", string(f.Status))
	}
	if f.IssueKey != "" {
		query.Set("issue", f.IssueKey)
	}
	if f.HookID != "" {
		query.Set("hook", f.HookID)
	}
	if f.BeforeID > 0 {
		query.Set("before", strconv.FormatInt(f.BeforeID, 10))
	}
	if f.Limit > 0 {
		query.Set("limit", strconv.Itoa(f.Limit))
	}

	path := "/api/v1/events"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	var out httpapi.EventListBody
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// GetEvent returns the event with the ID and its outcome.
func (c *Client) GetEvent(ctx context.Context, id int64) (httpapi.EventBody, error) {
	var out httpapi.EventBody
	return out, c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/events/%d", id), nil, &out)
}

// ReplayEvent processes a failed or processed event again and returns it,
// now pending.
func (c *Client) ReplayEvent(ctx context.Context, id int64) (httpapi.EventBody, error) {
	var out httpapi.EventBody
	return out, c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/events/%d/replay", id), nil, &out)
}
