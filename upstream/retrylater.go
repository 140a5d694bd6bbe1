package upstream

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
)

// RetryLaterError reports a response, usually 429 Too Many Requests or 503
// Service Unavailable, whose Retry-After header asks for a longer wait than
// the call's time budget has left, so Do stopped retrying. Do returns it
// together with the response.
//
// errors.Is matches it with context.DeadlineExceeded, because waiting as
// asked would pass the call's deadline, so callers that retry timed-out
// calls later do the same here. errors.As finds the API's error, a
// *credential.APIError, inside it.
type RetryLaterError struct {
	// API is the response's status and the API's error code and message.
	API *credential.APIError
	// Retries is how many retries Do made before this response.
	Retries int
	// RetryAfter is the wait the API asked for, and RetryAt the time it
	// ends.
	RetryAfter time.Duration
	RetryAt    time.Time
	// Budget is the call's time budget, retries and waits included.
	Budget time.Duration
}

func newRetryLaterError(r *call, resp fieldlink.UpstreamResponse, retries int, wait time.Duration, now time.Time, budget time.Duration) *RetryLaterError {
	return &RetryLaterError{
		API:        credential.NewAPIError(r.method, r.displayURLWithoutQuery(), resp.Status, resp.Body, secretsOf(r.ds.Auth)...),
		Retries:    retries,
		RetryAfter: wait,
		RetryAt:    now.Add(wait),
		Budget:     budget,
	}
}

// Error names the request, the response and when the API asked to be
// called again.
func (e *RetryLaterError) Error() string {
	retries := ""
	switch e.Retries {
	case 0:
	case 1:
		retries = " after 1 retry"
	default:
		retries = fmt.Sprintf(" after %d retries", e.Retries)
	}
	return fmt.Sprintf("%s%s, and the API asked to be called again in %s, at %s, which is past this request's time budget of %s: retry after that time",
		e.API.Error(), retries, e.RetryAfter.Round(time.Millisecond), e.RetryAt.UTC().Format(time.RFC3339), e.Budget)
}

// Unwrap returns the API's error and context.DeadlineExceeded.
func (e *RetryLaterError) Unwrap() []error {
	return []error{e.API, context.DeadlineExceeded}
}
