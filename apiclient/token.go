package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/httpapi"
)

// CreateToken creates an API token with scope auth.ScopeReadOnly or
// auth.ScopeAdmin. The result holds the token's secret, which the server
// shows only this once.
func (c *Client) CreateToken(ctx context.Context, name, scope string) (httpapi.CreatedToken, error) {
	var out httpapi.CreatedToken
	err := c.do(ctx, http.MethodPost, "/api/v1/tokens", httpapi.CreateTokenRequest{Name: name, Scope: scope}, &out)
	return out, err
}

// ListTokens returns every API token, by name, without secrets.
func (c *Client) ListTokens(ctx context.Context) ([]auth.Token, error) {
	var out struct {
		Tokens []auth.Token `json:"tokens"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, &out)
	return out.Tokens, err
}

// RevokeToken revokes an API token by ID or name.
func (c *Client) RevokeToken(ctx context.Context, idOrName string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(idOrName), nil, nil)
}

// ListAudit returns up to limit audit log entries, newest first.
func (c *Client) ListAudit(ctx context.Context, limit int) ([]auth.AuditEntry, error) {
	var out struct {
		Entries []auth.AuditEntry `json:"entries"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/audit?limit="+strconv.Itoa(limit), nil, &out)
	return out.Entries, err
}
