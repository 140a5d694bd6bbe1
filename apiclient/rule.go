package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/fieldlink/fieldlink/httpapi"
)

// ListRules returns every rule, in the order they are tried.
func (c *Client) ListRules(ctx context.Context) ([]httpapi.RuleBody, error) {
	var out httpapi.ListBody[httpapi.RuleBody]
	err := c.do(ctx, http.MethodGet, "/api/v1/rules", nil, &out)
	return out.Items, err
}

// ListRulesInSet returns the rules of one rule set; "" is the default set.
func (c *Client) ListRulesInSet(ctx context.Context, ruleSet string) ([]httpapi.RuleBody, error) {
	var out httpapi.ListBody[httpapi.RuleBody]
	err := c.do(ctx, http.MethodGet, "/api/v1/rules?ruleSet="+url.QueryEscape(ruleSet), nil, &out)
	return out.Items, err
}

// CreateRuleJSON creates a rule from a JSON object in the RuleBody shape,
// sent as it is, so the server reports any field it does not know.
func (c *Client) CreateRuleJSON(ctx context.Context, body json.RawMessage) (httpapi.RuleBody, error) {
	var out httpapi.RuleBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules", body, &out)
}

// DeleteRule deletes the rule with the ID.
func (c *Client) DeleteRule(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/rules/"+url.PathEscape(id), nil, nil)
}

// SimulateRules shows what a hook's rules would do to stored events or
// given payloads, without writing anything.
func (c *Client) SimulateRules(ctx context.Context, body httpapi.SimulateBody) (httpapi.SimulationListBody, error) {
	var out httpapi.SimulationListBody
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules/simulate", body, &out)
}
