package jira

import (
	"context"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink"
)

// send sends one request about the issue key through the datasource. A 2xx
// response is returned as is. Any other status gives an *EditError whose
// Operation is operation, and 409, 429 and 5xx ones are Retryable. An error of
// another type means the request got no response.
func (c *Client) send(ctx context.Context, ds fieldlink.Datasource, operation, key string, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	resp, err := c.up.Do(ctx, ds, req)

	// An upstream that stops retrying a 429 or 503 early (its Retry-After
	// reaches past the time left) returns the response with the error; the
	// response says when Jira wants the request again, so it wins.
	if err != nil && resp.Status == 0 {
		return resp, fmt.Errorf("%s through datasource %q: %w", operation, ds.Name, err)
	}

	if resp.Status >= 200 && resp.Status < 300 {
		return resp, nil
	}
	e := newEditError(key, resp, c.now())
	if operation != editOperation(key) {
		e.Operation = operation
	}
	return resp, e
}

// editOperation names an issue edit in errors.
func editOperation(key string) string {
	return "edit issue " + key
}

func acceptJSON() http.Header {
	return http.Header{"Accept": {"application/json"}}
}
