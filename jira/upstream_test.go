package jira_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// basicUpstream is a minimal fieldlink.Upstream for tests: it joins the
// datasource's base URL and the request path and sends basic auth with the
// datasource's username and password.
type basicUpstream struct {
	client *http.Client
}

func (u basicUpstream) Do(ctx context.Context, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()

	target := strings.TrimSuffix(ds.BaseURL, "/") + req.Path
	r, err := http.NewRequestWithContext(ctx, req.Method, target, bytes.NewReader(req.Body))
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("build request to %s: %w", target, err)
	}
	for name, values := range req.Header {
		r.Header[name] = values
	}
	if ds.Auth.Mode == fieldlink.AuthBasic {
		r.SetBasicAuth(ds.Auth.Username, ds.Auth.Password)
	}

	client := u.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(r)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("send request to %s: %w", target, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fieldlink.UpstreamResponse{}, fmt.Errorf("read response from %s: %w", target, err)
	}
	return fieldlink.UpstreamResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// jiraDatasource returns a Jira datasource for the site at baseURL.
func jiraDatasource(baseURL, email, token string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:      "ds-jira",
		Name:    "Jira",
		BaseURL: baseURL,
		Auth:    fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: email, Password: token},
	}
}
