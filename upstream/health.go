package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
)

// HealthRecorder receives the outcome of the requests and tests of
// datasources, so their health can be stored and shown. Its methods must be
// safe for concurrent use and should return quickly, because Do calls them
// on the request path.
type HealthRecorder interface {
	// RecordSuccess records that a token or API request of ds succeeded.
	RecordSuccess(ctx context.Context, ds fieldlink.Datasource)
	// RecordFailure records that a token or API request of ds failed with
	// err. configError reports whether only a configuration change fixes it
	// (see credential.IsConfigError), so later requests should stop.
	RecordFailure(ctx context.Context, ds fieldlink.Datasource, err error, configError bool)
	// RecordTest records the result of Test connection on ds.
	RecordTest(ctx context.Context, ds fieldlink.Datasource, result fieldlink.TestResult)
}

// UnhealthyError reports a request that Do refused without contacting the
// datasource, because its last token request failed with a configuration
// error for its current settings.
type UnhealthyError struct {
	DatasourceID string
	// LastError is the recorded error, without secrets.
	LastError string
	// Since is when the error was recorded.
	Since time.Time
}

// Error names the datasource, the recorded error and what to do.
func (e *UnhealthyError) Error() string {
	return fmt.Sprintf("datasource %s is stopped until its configuration is fixed, after %s: correct the settings, save the datasource and run Test connection", e.DatasourceID, e.LastError)
}

// unhealthyError returns an *UnhealthyError when ds's health marks its
// current configuration, UpdatedAt, as broken, or nil.
func unhealthyError(ds fieldlink.Datasource) error {
	h := ds.Health
	if !h.Unhealthy || !h.ConfigVersion.Equal(ds.UpdatedAt) {
		return nil
	}
	return &UnhealthyError{DatasourceID: ds.ID, LastError: h.LastError, Since: h.LastErrorAt}
}

// isConfigError reports whether err is a failure that only a change of the
// datasource's settings fixes: a token endpoint's configuration error or
// settings that do not validate.
func isConfigError(err error) bool {
	return credential.IsConfigError(err) || fieldlink.ErrorCode(err) == fieldlink.EInvalid
}

// recordFailure passes err to the recorder, unless the caller canceled the
// request, which is no failure of the datasource.
func (c *Client) recordFailure(ctx context.Context, ds fieldlink.Datasource, err error) {
	if c.recorder == nil || ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return
	}
	c.recorder.RecordFailure(context.WithoutCancel(ctx), ds, err, isConfigError(err))
}

// recordResponse records an API response: 401, 403, 429 and server errors
// as failures, any other status as a success of the credentials.
// displayURL returns the redacted URL that a failure names.
func (c *Client) recordResponse(ctx context.Context, ds fieldlink.Datasource, method string, displayURL func() string, resp fieldlink.UpstreamResponse) {
	if c.recorder == nil {
		return
	}

	switch status := resp.Status; {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests || status >= 500:
		apiErr := credential.NewAPIError(method, displayURL(), status, resp.Body, secretsOf(ds.Auth)...)
		c.recorder.RecordFailure(context.WithoutCancel(ctx), ds, apiErr, false)
	default:
		c.recorder.RecordSuccess(context.WithoutCancel(ctx), ds)
	}
}
