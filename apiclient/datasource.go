package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

// CreateDatasource creates a datasource and returns it with its ID.
func (c *Client) CreateDatasource(ctx context.Context, ds httpapi.DatasourceBody) (httpapi.DatasourceBody, error) {
	var out httpapi.DatasourceBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/datasources", ds, &out)
}

// CreateDatasourceJSON creates a datasource from a JSON object in the
// DatasourceBody shape. The object is sent as it is, so the server reports
// any field it does not know.
func (c *Client) CreateDatasourceJSON(ctx context.Context, body json.RawMessage) (httpapi.DatasourceBody, error) {
	var out httpapi.DatasourceBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/datasources", body, &out)
}

// GetDatasource returns the datasource with the ID. Secret fields are
// reported only as set or not set.
func (c *Client) GetDatasource(ctx context.Context, id string) (httpapi.DatasourceBody, error) {
	var out httpapi.DatasourceBody
	return out, c.do(ctx, http.MethodGet, datasourcePath(id), nil, &out)
}

// ListDatasources returns all datasources, ordered by name.
func (c *Client) ListDatasources(ctx context.Context) ([]httpapi.DatasourceBody, error) {
	var out httpapi.ListBody[httpapi.DatasourceBody]
	err := c.do(ctx, http.MethodGet, "/api/v1/datasources", nil, &out)
	return out.Items, err
}

// UpdateDatasource replaces the datasource with the ID. A secret left empty
// keeps the stored one while the auth mode stays the same.
func (c *Client) UpdateDatasource(ctx context.Context, id string, ds httpapi.DatasourceBody) (httpapi.DatasourceBody, error) {
	var out httpapi.DatasourceBody
	return out, c.do(ctx, http.MethodPut, datasourcePath(id), ds, &out)
}

// UpdateDatasourceJSON replaces the datasource with the ID from a JSON
// object in the DatasourceBody shape, sent as it is.
func (c *Client) UpdateDatasourceJSON(ctx context.Context, id string, body json.RawMessage) (httpapi.DatasourceBody, error) {
	var out httpapi.DatasourceBody
	return out, c.do(ctx, http.MethodPut, datasourcePath(id), body, &out)
}

// DeleteDatasource deletes the datasource with the ID. The server rejects it
// with a conflict while items or hooks use the datasource.
func (c *Client) DeleteDatasource(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, datasourcePath(id), nil, nil)
}

// TestDatasource runs Test connection on a saved datasource.
func (c *Client) TestDatasource(ctx context.Context, id string) (fieldlink.TestResult, error) {
	var out fieldlink.TestResult
	return out, c.do(ctx, http.MethodPost, datasourcePath(id)+"/test", nil, &out)
}

// TestDraftDatasource runs Test connection on a datasource that is not
// saved. With an ID, secrets left empty are taken from that saved
// datasource.
func (c *Client) TestDraftDatasource(ctx context.Context, ds httpapi.DatasourceBody) (fieldlink.TestResult, error) {
	var out fieldlink.TestResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/datasources/test", ds, &out)
}

// TestDraftDatasourceJSON runs Test connection on a datasource given as a
// JSON object in the DatasourceBody shape, sent as it is.
func (c *Client) TestDraftDatasourceJSON(ctx context.Context, body json.RawMessage) (fieldlink.TestResult, error) {
	var out fieldlink.TestResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/datasources/test", body, &out)
}

func datasourcePath(id string) string {
	return "/api/v1/datasources/" + url.PathEscape(id)
}
