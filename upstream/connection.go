package upstream

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/outbound"
)

// Test connection statuses other than fieldlink.StatusValidAccessToken and
// fieldlink.StatusValidCredentials.
const (
	StatusInvalidSettings    = "INVALID SETTINGS"
	StatusAddressFailed      = "ADDRESS CHECK FAILED"
	StatusTokenRequestFailed = "TOKEN REQUEST FAILED"
	StatusAPIRequestFailed   = "API REQUEST FAILED"
	StatusNoTestPath         = "NO TEST PATH"
)

// Names of the Test connection steps.
const (
	StepAddress = "address"
	StepToken   = "token"
	StepRequest = "request"
)

// graphTestPath is the test path suggested for Microsoft Graph. An app-only
// token may read it with User.Read.All, while /me needs a signed-in user.
const graphTestPath = "/users?$top=1&$select=id"

// Test runs Test connection in three steps, stopping at the first that
// fails. Settings that do not validate fail first, as the token step,
// without a lookup or a request.
//
//   - "address" parses the base URL and the token URL, resolves each host
//     and checks every address against the guard with the datasource's
//     allowances.
//   - "token" fetches a new OAuth 2 access token, never a cached one, and
//     describes it in the result's Token. For the other modes it names the
//     credentials that requests carry.
//   - "request" sends GET TestPath with those credentials.
//
// The status is fieldlink.StatusValidAccessToken when the token and the
// request succeed, and fieldlink.StatusValidCredentials when the request
// succeeds for a mode without a token. Without a TestPath the result is not
// OK and the status is StatusNoTestPath, because nothing checked that the
// API accepts the credentials. Otherwise the status is one of this
// package's Status constants, and the failed step has a message and a hint.
//
// Warnings hold credential.Warnings and what the token's claims show, such
// as a Microsoft Graph token without application permissions. Test works on
// unsaved settings and leaves the cached tokens of saved datasources alone,
// except that a passing test of a saved datasource drops its cached
// authorizer, so a remembered configuration error no longer blocks it.
func (c *Client) Test(ctx context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	result := c.test(ctx, ds)
	result.Warnings = append(credential.Warnings(ds, c.now()), result.Warnings...)

	if result.OK && ds.ID != "" && !ds.UpdatedAt.IsZero() {
		c.creds.Forget(ds.ID)
	}
	if c.recorder != nil {
		c.recorder.RecordTest(context.WithoutCancel(ctx), ds, result)
	}

	c.logger.Info("datasource tested",
		slog.String("datasource", ds.ID),
		slog.Bool("ok", result.OK),
		slog.String("status", result.Status))
	return result
}

func (c *Client) test(ctx context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	secrets := secretsOf(ds.Auth)
	var result fieldlink.TestResult

	// Invalid credentials settings fail before any lookup or request, in
	// the token step that would use them.
	authorizer, err := c.creds.NewAuthorizer(ds)
	if err != nil {
		result.Steps = append(result.Steps, fieldlink.TestStep{
			Name:    StepToken,
			Message: outbound.Redact(fieldlink.ErrorMessage(err), secrets...),
		})
		result.Status = StatusInvalidSettings
		return result
	}

	addressStep, status := c.testAddress(ctx, ds, secrets)
	result.Steps = append(result.Steps, addressStep)
	if !addressStep.OK {
		result.Status = status
		return result
	}

	token := c.testToken(ctx, ds, authorizer, secrets)
	result.Steps = append(result.Steps, token.step)
	if !token.step.OK {
		result.Status = StatusTokenRequestFailed
		// A configuration error found by testing the saved settings stops
		// lookups as the same error from a lookup would, until the settings
		// change.
		if c.recorder != nil && !ds.UpdatedAt.IsZero() && credential.IsConfigError(token.err) {
			c.recorder.RecordFailure(context.WithoutCancel(ctx), ds, token.err, true)
		}
		return result
	}
	if token.info != nil {
		details := token.info.Details()
		result.Token = &details
		result.Warnings = tokenWarnings(token.info)
	}

	if ds.TestPath == "" {
		result.Steps = append(result.Steps, fieldlink.TestStep{
			Name:    StepRequest,
			Message: "No test path is set, so no API request was sent and nothing checked that the API accepts these credentials.",
			Hint:    testPathHint(ds, token.info),
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
	result.Status = fieldlink.StatusValidCredentials
	if token.info != nil {
		result.Status = fieldlink.StatusValidAccessToken
	}
	return result
}

// tokenWarnings returns the warnings that a fetched token's claims show.
func tokenWarnings(info *credential.TokenInfo) []string {
	if !info.Claims.IsGraphAppOnlyWithoutRoles() {
		return nil
	}
	return []string{"The Microsoft Graph access token has no roles claim, so the app holds no application permission and Graph will reject its requests with 403: in Entra ID, open App registrations > your app > API permissions, add the Microsoft Graph application permission the requests need (for example User.Read.All), then press \"Grant admin consent\"."}
}

// testPathHint names a test path to set: one that an app-only Graph token
// may read, or a general suggestion for other APIs.
func testPathHint(ds fieldlink.Datasource, info *credential.TokenInfo) string {
	if isGraph(ds, info) {
		return "Set the test path to " + graphTestPath + ", which the app may read with the User.Read.All application permission. Do not use /me, which needs a signed-in user and fails with an app-only token."
	}
	return "Set a test path that these credentials may read, such as a list endpoint limited to one result, so Test connection checks that the API accepts them."
}

// isGraph reports whether ds is Microsoft Graph: by its base URL's host, its
// scopes, or its token's audience.
func isGraph(ds fieldlink.Datasource, info *credential.TokenInfo) bool {
	if u, err := url.Parse(ds.BaseURL); err == nil && strings.HasPrefix(strings.ToLower(u.Hostname()), "graph.microsoft.") {
		return true
	}
	if slices.ContainsFunc(ds.Auth.Scopes, func(scope string) bool {
		return strings.HasPrefix(strings.ToLower(scope), "https://graph.microsoft.com/")
	}) {
		return true
	}
	return info != nil && info.Claims != nil && slices.ContainsFunc(info.Claims.Audience, func(aud string) bool {
		return strings.HasPrefix(aud, "https://graph.microsoft.com") || aud == "00000003-0000-0000-c000-000000000000"
	})
}
