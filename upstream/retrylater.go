package upstream

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
)

// RetryLaterError reports a response, usually 429 Too Many Requests or 503
// Service Unavailable, whose Retry-After header requests a longer wait than
// the call's time budget has left, so Do stopped retrying. Do returns it
// together with the response.
//
// errors.Is matches it with context.DeadlineExceeded, because waiting as
// asked would pass the call's deadline, so callers that retry timed-out
// calls later do the same here. errors.As finds the API's error, a
// *credential.APIError, inside it. The triage processor retries the event
// after RetryAfter.
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
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s returned %d %s", e.API.Method, e.API.Target, e.API.Status, http.StatusText(e.API.Status))
	switch e.Retries {
	case 0:
	case 1:
		b.WriteString(" after 1 retry")
	default:
		fmt.Fprintf(&b, " after %d retries", e.Retries)
	}

	detail := strings.Join(slices.DeleteFunc([]string{e.API.Code, e.API.Message}, func(s string) bool { return s == "" }), ": ")
	if detail != "" {
		fmt.Fprintf(&b, " (%s)", detail)
	}

	fmt.Fprintf(&b, ", and the API asked to be called again in %s, at %s, later than this request's time budget of %s allows: retry after that time",
		e.RetryAfter.Round(time.Millisecond), e.RetryAt.UTC().Format(time.RFC3339), e.Budget)
	return b.String()
}

// Unwrap returns the API's error and context.DeadlineExceeded.
func (e *RetryLaterError) Unwrap() []error {
	return []error{e.API, context.DeadlineExceeded}
}
