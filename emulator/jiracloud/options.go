package jiracloud

import (
	"log/slog"
	"net/http"
	"time"
)

// Account is a Jira user as the emulator shows it in issues and webhooks.
type Account struct {
	// AccountID defaults to an ID derived from Email.
	AccountID string
	// DisplayName defaults to the part of Email before "@".
	DisplayName string
	Email       string
	// EmailHidden reports whether the user's privacy settings hide the
	// email address, which Jira then leaves out of issues and webhooks.
	EmailHidden bool
}

// Options configures a Server. The zero value is usable: it serves a site
// with no API users, so every authenticated request is rejected.
type Options struct {
	// SiteName is the site's name, as in "fabrikam-demo.atlassian.net".
	// Defaults to "fieldlink-demo".
	SiteName string

	// BaseURL is the emulator's own address, used in "self" links. Set it,
	// or call SetBaseURL once the listener's address is known. While it is
	// empty, REST responses use the request's host and webhooks use
	// http://127.0.0.1.
	BaseURL string

	// APIUsers maps an account's email address to the API token accepted
	// for it with basic auth.
	APIUsers map[string]string

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	// Logger receives a record per issue created or edited and per webhook
	// delivery attempt. Defaults to discarding them.
	Logger *slog.Logger

	// Latency delays every REST response that passes authentication, so
	// that the demo and the benchmarks can model a remote site. The wait
	// ends early when the request is canceled. Defaults to none.
	Latency time.Duration

	// HTTPClient sends webhook deliveries. Defaults to a client with a
	// 10-second timeout.
	HTTPClient *http.Client

	// MaxRetries is how many times a failed delivery is sent again.
	// Defaults to 5.
	MaxRetries int

	// RetryBackoff is the wait before the first retry, doubled before each
	// further one. Defaults to 200ms.
	RetryBackoff time.Duration

	// ReporterOfficeOffScreen leaves the "Reporter office" field
	// (customfield_10052) off the edit screen: editmeta does not list it
	// and an edit that sets it is rejected, as Jira rejects a field that is
	// not on the screen. Defaults to false, the field on the screen.
	ReporterOfficeOffScreen bool

	// Spec, when set, checks every REST request and its response against
	// Jira's OpenAPI document, and SpecViolations returns what did not
	// conform.
	// Defaults to nil, no check, which is what the demo runs with.
	Spec *Spec
}

func (o Options) withDefaults() Options {
	if o.SiteName == "" {
		o.SiteName = "fieldlink-demo"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 5
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
	return o
}
