package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
)

// testedHost is a host that Test connection resolves, and what it serves.
type testedHost struct {
	role string // "API", "token" or "API and token"
	name string
}

// testAddress checks the base URL and the token URL and where their hosts
// resolve. It returns the step and, when the step fails, the status.
func (c *Client) testAddress(ctx context.Context, ds fieldlink.Datasource, secrets []string) (fieldlink.TestStep, string) {
	start := time.Now()
	step := fieldlink.TestStep{Name: StepAddress}
	fail := func(status, message, hint string) (fieldlink.TestStep, string) {
		step.DurationMS = time.Since(start).Milliseconds()
		step.Message = outbound.Redact(message, secrets...)
		step.Hint = hint
		return step, status
	}

	baseURL, err := joinURL(ds.BaseURL, "")
	if err != nil {
		return fail(StatusInvalidSettings, err.Error(), "Enter the API's base URL with https:// and its host, such as https://graph.microsoft.com/v1.0.")
	}
	if _, err := c.http.For(ds); err != nil {
		return fail(StatusInvalidSettings, fieldlink.ErrorMessage(err), "")
	}

	ctx, cancel := context.WithTimeout(ctx, ds.ConnectTimeout())
	defer cancel()

	var resolved []string
	for _, host := range testedHosts(ds, baseURL) {
		addrs, err := c.http.ResolveHost(ctx, ds, host.name)
		var blocked *outbound.AddressError
		switch {
		case errors.As(err, &blocked):
			message := fmt.Sprintf("%s host %s resolves to %s, and %s is a blocked address (%s).", host.role, host.name, joinAddrs(addrs), blocked.Addr, blocked.Reason)
			return fail(StatusAddressFailed, message, credential.HintFor(err, ds.Auth))
		case err != nil:
			return fail(StatusAddressFailed, fmt.Sprintf("%s host %s: %v", host.role, host.name, err), credential.HintFor(err, ds.Auth))
		}
		resolved = append(resolved, fmt.Sprintf("%s host %s → %s", host.role, host.name, joinAddrs(addrs)))
	}

	step.OK = true
	step.DurationMS = time.Since(start).Milliseconds()
	step.Message = strings.Join(resolved, "; ") + "."
	return step, ""
}

// testedHosts returns the host of baseURL and, for OAuth 2, the token URL's
// host when the token URL parses. The token step reports an invalid one.
func testedHosts(ds fieldlink.Datasource, baseURL string) []testedHost {
	var apiHost string
	if u, err := url.Parse(baseURL); err == nil {
		apiHost = u.Hostname()
	}
	hosts := []testedHost{{role: "API", name: apiHost}}

	if ds.Auth.Mode != fieldlink.AuthOAuth2ClientCredentials {
		return hosts
	}
	u, err := url.Parse(ds.Auth.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return hosts
	}
	if u.Hostname() == apiHost {
		hosts[0].role = "API and token"
		return hosts
	}
	return append(hosts, testedHost{role: "Token", name: u.Hostname()})
}

func joinAddrs(addrs []netip.Addr) string {
	parts := make([]string, len(addrs))
	for i, addr := range addrs {
		parts[i] = addr.String()
	}
	return strings.Join(parts, ", ")
}

// tokenOutcome is the result of the token step.
type tokenOutcome struct {
	step fieldlink.TestStep
	// info describes the fetched token, or is nil for modes without one.
	info *credential.TokenInfo
	// err is the token request's failure, or nil.
	err error
}

// testToken fetches a new token with an uncached OAuth 2 authorizer, or
// names the credentials of the other modes.
func (c *Client) testToken(ctx context.Context, ds fieldlink.Datasource, authorizer credential.Authorizer, secrets []string) tokenOutcome {
	start := time.Now()
	outcome := tokenOutcome{step: fieldlink.TestStep{Name: StepToken}}

	fetcher, ok := authorizer.(credential.TokenFetcher)
	if !ok {
		outcome.step.OK = true
		outcome.step.DurationMS = time.Since(start).Milliseconds()
		outcome.step.Message = credential.Describe(ds.Auth) + " No token request is needed."
		return outcome
	}

	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()
	info, err := fetcher.FetchToken(ctx)
	outcome.step.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		outcome.err = err
		outcome.step.Message = outbound.Redact(err.Error(), secrets...)
		outcome.step.Hint = credential.HintFor(err, ds.Auth)
		return outcome
	}

	outcome.step.OK = true
	outcome.step.Message = describeToken(info)
	outcome.info = &info
	return outcome
}

// describeToken names the token type, the token URL, the expiry and the
// granted scope, without the token itself.
func describeToken(info credential.TokenInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received a %s token from %s, ", info.Type, info.TokenURL)
	if info.ExpiryAssumed {
		fmt.Fprintf(&b, "without expires_in, so it is used until %s (%s)", info.Expiry.UTC().Format(time.RFC3339), credential.DefaultTokenLifetime)
	} else {
		fmt.Fprintf(&b, "expiring at %s", info.Expiry.UTC().Format(time.RFC3339))
	}
	if info.Scope != "" {
		fmt.Fprintf(&b, ", scope %q", info.Scope)
	}
	b.WriteString(".")
	return b.String()
}

// testRequest sends GET TestPath with the authorizer's credentials, without
// the 401 retry of Do: the token is new, so a retry would hide the failure.
func (c *Client) testRequest(ctx context.Context, ds fieldlink.Datasource, authorizer credential.Authorizer, secrets []string) fieldlink.TestStep {
	start := time.Now()
	step := fieldlink.TestStep{Name: StepRequest}

	target, err := joinURL(ds.BaseURL, ds.TestPath)
	if err != nil {
		step.Message = outbound.Redact(err.Error(), secrets...)
		return step
	}
	displayURL := outbound.Redact(target, secrets...)
	httpClient, err := c.http.For(ds)
	if err != nil {
		step.Message = fieldlink.ErrorMessage(err)
		return step
	}

	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()
	resp, err := c.send(ctx, ds, httpClient, authorizer, http.MethodGet, target, nil, nil, nil)
	step.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		step.Message = outbound.Redact(err.Error(), secrets...)
		step.Hint = credential.HintFor(err, ds.Auth)
		return step
	}

	if resp.Status < 200 || resp.Status > 299 {
		apiErr := credential.NewAPIError(http.MethodGet, displayURL, resp.Status, resp.Body, secrets...)
		step.Message = apiErr.Error()
		step.Hint = credential.HintFor(apiErr, ds.Auth)
		return step
	}

	step.OK = true
	step.Message = fmt.Sprintf("GET %s returned %d %s with %d bytes.", displayURL, resp.Status, http.StatusText(resp.Status), len(resp.Body))
	return step
}
