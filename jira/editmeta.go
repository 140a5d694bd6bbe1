package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink"
)

// FieldMeta describes a field on an issue's edit screen, as
// GET /rest/api/3/issue/{key}/editmeta returns it.
type FieldMeta struct {
	Name   string      `json:"name"`
	Schema FieldSchema `json:"schema"`

	// Operations are the operations of "update" the field supports, such as
	// "set" and, for labels, "add".
	Operations []string `json:"operations,omitempty"`

	// AllowedValues are the values the field accepts, for select fields
	// and other fields with a fixed choice; empty for free fields.
	AllowedValues []AllowedValue `json:"allowedValues,omitempty"`
}

// FieldSchema is a field's data type.
type FieldSchema struct {
	// Type is the JSON type of the value, such as "string", "option" or
	// "array".
	Type string `json:"type"`
	// Items is the type of an array's elements.
	Items string `json:"items,omitempty"`
	// System names a system field, such as "labels".
	System string `json:"system,omitempty"`
	// Custom is a custom field's type key.
	Custom string `json:"custom,omitempty"`
}

// AllowedValue is one value a field accepts. Select options have an ID and
// a Value; other choices, such as priorities, have an ID and a Name.
type AllowedValue struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
}

// Label returns the value as an admin writes it: its Value, or its Name for
// choices that have no Value.
func (v AllowedValue) Label() string {
	if v.Value != "" {
		return v.Value
	}
	return v.Name
}

// EditMeta returns the fields on the edit screen of the issue, by field ID,
// from GET /rest/api/3/issue/{key}/editmeta. Errors are those of EditIssue.
func (c *Client) EditMeta(ctx context.Context, ds fieldlink.Datasource, key string) (map[string]FieldMeta, error) {
	operation := "get edit screen of issue " + key
	resp, err := c.send(ctx, ds, operation, key, fieldlink.UpstreamRequest{
		Method: http.MethodGet,
		Path:   issuePath(key) + "/editmeta",
		Header: acceptJSON(),
	})
	if err != nil {
		return nil, err
	}

	var body struct {
		Fields map[string]FieldMeta `json:"fields"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", operation, err)
	}
	if body.Fields == nil {
		body.Fields = map[string]FieldMeta{}
	}
	return body.Fields, nil
}
