package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
)

// Test connection statuses other than fieldlink.StatusValidAccessToken.
const (
	StatusInvalidSettings    = "INVALID SETTINGS"
	StatusTokenRequestFailed = "TOKEN REQUEST FAILED"
	StatusAPIRequestFailed   = "API REQUEST FAILED"
	StatusNoTestPath         = "NO TEST PATH"
)

// Names of the Test connection steps.
const (
	StepToken   = "token"
	StepRequest = "request"
)

// Test runs Test connection in two steps. Step "token" fetches a new OAuth 2
// access token, never a cached one, or for the other modes names the
// credentials that requests carry. Step "request" sends GET TestPath with
// those credentials. The status is fieldlink.StatusValidAccessToken when both
// succeed for OAuth 2, and fieldlink.StatusValidCredentials for the modes
// without a token. Otherwise it is one of the Status constants of this package, and
// the failed step has a message and a hint.
//
// Without a TestPath an OAuth 2 datasource passes on the token alone, while
// the other modes fail with StatusNoTestPath because nothing checked their
// credentials. Test works on unsaved settings and leaves the cache of saved
// datasources alone.
func (c *Client) Test(ctx context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	result := c.test(ctx, ds)

	c.logger.Info("datasource tested",
		slog.String("datasource", ds.ID),
		slog.Bool("ok", result.OK),
		slog.String("status", result.Status))
	return result
}

func (c *Client) test(ctx context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	secrets := secretsOf(ds.Auth)
	var result fieldlink.TestResult

	authorizer, tokenStep := c.testToken(ctx, ds, secrets)
	result.Steps = append(result.Steps, tokenStep)
	if !tokenStep.OK {
		result.Status = StatusTokenRequestFailed
		if authorizer == nil {
			result.Status = StatusInvalidSettings
		}
		return result
	}

	_, fetchesTokens := authorizer.(credential.TokenFetcher)
	if ds.TestPath == "" {
		if fetchesTokens {
			result.OK = true
			result.Status = fieldlink.StatusValidAccessToken
			return result
		}
		result.Steps = append(result.Steps, fieldlink.TestStep{
			Name:    StepRequest,
			Message: "No test path is set, so no request was sent and the credentials are unchecked.",
			Hint:    "Set a test path that these credentials may read, such as /me or /users?$top=1.",
		})
		result.Status = StatusNoTestPath
		return result
	}

	requestStep := c.testRequest(ctx, ds, authorizer, secrets)
	result.Steps = append(result.Steps, requestStep)
	if !requestStep.OK {
		result.Status = StatusAPIRequestFailed
		return result
	}
	result.OK = true
	result.Status = fieldlink.StatusValidAccessToken
	if !fetchesTokens {
		result.Status = fieldlink.StatusValidCredentials
	}
	return result
}

// testToken builds an uncached authorizer and, for OAuth 2, fetches a new
// token with it. The authorizer is nil when the settings are invalid.
func (c *Client) testToken(ctx context.Context, ds fieldlink.Datasource, secrets []string) (credential.Authorizer, fieldlink.TestStep) {
	start := time.Now()
	step := fieldlink.TestStep{Name: StepToken}

	authorizer, err := c.creds.NewAuthorizer(ds)
	if err != nil {
		step.DurationMS = time.Since(start).Milliseconds()
		step.Message = outbound.Redact(fieldlink.ErrorMessage(err), secrets...)
		return nil, step
	}

	fetcher, ok := authorizer.(credential.TokenFetcher)
	if !ok {
		step.OK = true
		step.DurationMS = time.Since(start).Milliseconds()
		step.Message = credential.Describe(ds.Auth) + " No token request is needed."
		return authorizer, step
	}

	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()
	info, err := fetcher.FetchToken(ctx)
	step.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		step.Message = outbound.Redact(err.Error(), secrets...)
		step.Hint = credential.Hint(err)
		return authorizer, step
	}

	step.OK = true
	step.Message = describeToken(info, start)
	return authorizer, step
}

// describeToken names the token type, the token URL, the lifetime and the
// granted scope, without the token itself.
func describeToken(info credential.TokenInfo, requested time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received a %s token from %s", info.Type, info.TokenURL)
	if !info.Expiry.IsZero() {
		fmt.Fprintf(&b, ", valid for %s", info.Expiry.Sub(requested).Round(time.Second))
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

	ctx, cancel := context.WithTimeout(ctx, ds.Timeout())
	defer cancel()
	resp, err := c.send(ctx, ds, authorizer, http.MethodGet, target, nil, nil)
	step.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		step.Message = outbound.Redact(err.Error(), secrets...)
		step.Hint = credential.Hint(err)
		return step
	}

	if resp.Status < 200 || resp.Status > 299 {
		apiErr := credential.NewAPIError(http.MethodGet, displayURL, resp.Status, resp.Body, secrets...)
		step.Message = apiErr.Error()
		step.Hint = credential.Hint(apiErr)
		return step
	}

	step.OK = true
	step.Message = fmt.Sprintf("GET %s returned %d %s with %d bytes.", displayURL, resp.Status, http.StatusText(resp.Status), len(resp.Body))
	return step
}
