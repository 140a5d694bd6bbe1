package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/fieldlink/fieldlink/httpapi"
)

// UpdateHook replaces a hook's settings; its secret and automation token
// stay.
func (c *Client) UpdateHook(ctx context.Context, id string, h httpapi.HookBody) (httpapi.HookBody, error) {
	var out httpapi.HookBody
	return out, c.do(ctx, http.MethodPut, hookPath(id), h, &out)
}

// RotateHookSecret gives the hook a new secret, returned in Secret.
func (c *Client) RotateHookSecret(ctx context.Context, id string) (httpapi.HookBody, error) {
	var out httpapi.HookBody
	return out, c.do(ctx, http.MethodPost, hookPath(id)+"/secret", nil, &out)
}

// CreateAutomationToken creates or replaces the hook's Jira Automation
// token, returned in AutomationToken.
func (c *Client) CreateAutomationToken(ctx context.Context, id string) (httpapi.HookBody, error) {
	var out httpapi.HookBody
	return out, c.do(ctx, http.MethodPost, hookPath(id)+"/automation-token", nil, &out)
}

// DeleteAutomationToken removes the hook's Jira Automation token.
func (c *Client) DeleteAutomationToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, hookPath(id)+"/automation-token", nil, nil)
}

func hookPath(id string) string {
	return "/api/v1/hooks/" + url.PathEscape(id)
}
