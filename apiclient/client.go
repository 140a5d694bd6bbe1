// Package apiclient is a Go client for fieldlink's REST API, used by the CLI
// and the demo.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

// Client calls one fieldlink server with an admin token.
type Client struct {
	// BaseURL is the server's address, for example "http://127.0.0.1:8080".
	BaseURL string
	// Token is the admin bearer token.
	Token string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// APIError is an error response from the server.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error returns the server's message with the status.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d, %s)", e.Message, e.Status, e.Code)
}

// CreateItem creates a connected item.
func (c *Client) CreateItem(ctx context.Context, it httpapi.ItemBody) (httpapi.ItemBody, error) {
	var out httpapi.ItemBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/items", it, &out)
}

// EvaluateItem evaluates an item for a sample context.
func (c *Client) EvaluateItem(ctx context.Context, id string, tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	var out fieldlink.ItemResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/items/"+id+"/evaluate", httpapi.EvaluateBody{Context: tc}, &out)
}

// CreateRule creates a routing rule.
func (c *Client) CreateRule(ctx context.Context, r httpapi.RuleBody) (httpapi.RuleBody, error) {
	var out httpapi.RuleBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules", r, &out)
}

// CreateHook creates a webhook intake endpoint; the response carries its secret.
func (c *Client) CreateHook(ctx context.Context, h httpapi.HookBody) (httpapi.HookBody, error) {
	var out httpapi.HookBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/hooks", h, &out)
}

// ListEvents returns the most recent ticket events.
func (c *Client) ListEvents(ctx context.Context, limit int) ([]httpapi.EventBody, error) {
	var out httpapi.ListBody[httpapi.EventBody]
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/events?limit=%d", limit), nil, &out)
	return out.Items, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	httpClient := c.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read response of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb httpapi.ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &APIError{Status: resp.StatusCode, Code: "http", Message: fmt.Sprintf("%s %s failed", method, path)}
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", method, path, err)
	}
	return nil
}
