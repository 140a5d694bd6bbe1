package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxResponseBytes bounds the discovery document, the JWKS and the token
// response read from the provider.
const maxResponseBytes = 1 << 20

// Metadata is the part of the provider's discovery document that the
// relying party uses.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// discover reads <issuer>/.well-known/openid-configuration. The issuer in
// the document must equal the configured one exactly (OpenID Connect
// Discovery 1.0, section 4.3).
func discover(ctx context.Context, client *http.Client, issuer string) (Metadata, error) {
	url := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"

	var meta Metadata
	if err := getJSON(ctx, client, url, &meta); err != nil {
		return Metadata{}, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}

	if meta.Issuer != issuer {
		return Metadata{}, fmt.Errorf("%w: discovery document at %s names issuer %q, configured %q", ErrIssuerMismatch, url, meta.Issuer, issuer)
	}
	if meta.AuthorizationEndpoint == "" || meta.TokenEndpoint == "" || meta.JWKSURI == "" {
		return Metadata{}, fmt.Errorf("%w: discovery document at %s lacks authorization_endpoint, token_endpoint or jwks_uri", ErrDiscovery, url)
	}
	return meta, nil
}

// getJSON sends a GET request and decodes a 200 response into v.
func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}
