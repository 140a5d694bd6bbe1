package fieldlink

import (
	"context"
	"net/http"
	"time"
)

// AuthMode names how fieldlink authenticates to a datasource's API.
type AuthMode string

// Authentication modes a datasource can use.
const (
	AuthNone                    AuthMode = "none"
	AuthBasic                   AuthMode = "basic"
	AuthBearer                  AuthMode = "bearer"
	AuthAPIKey                  AuthMode = "api-key"
	AuthOAuth2ClientCredentials AuthMode = "oauth2-client-credentials"
)

// Client authentication styles for the OAuth 2 token request (RFC 6749 §2.3.1).
const (
	// ClientAuthHeader sends the client ID and secret as HTTP Basic credentials.
	ClientAuthHeader = "header"
	// ClientAuthBody sends client_id and client_secret as form parameters.
	ClientAuthBody = "body"
)

// API key placements.
const (
	APIKeyInHeader = "header"
	APIKeyInQuery  = "query"
)

// Datasource is a REST API that items query: where it lives and how to
// authenticate to it.
type Datasource struct {
	ID   string
	Name string

	// BaseURL is prefixed to every item's request path, for example
	// "https://graph.example/v1.0".
	BaseURL string

	// APIDocumentationURL links the admin to the API's reference. It is shown,
	// never requested.
	APIDocumentationURL string

	// TestPath is requested by Test connection after authentication succeeds,
	// relative to BaseURL. Empty means only authentication is tested.
	TestPath string

	// Headers are sent with every request to the API.
	Headers map[string]string

	// TimeoutSeconds bounds one request, including the token request.
	// Zero means the default of 30 seconds.
	TimeoutSeconds int

	Auth Auth

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Auth is a datasource's authentication settings. Only the fields of the
// chosen Mode are used. Secret fields are sealed at rest and never returned by
// the API.
type Auth struct {
	Mode AuthMode

	// Username and Password are used by AuthBasic.
	Username string
	Password string

	// Token is used by AuthBearer.
	Token string

	// APIKeyName, APIKeyValue and APIKeyIn are used by AuthAPIKey.
	// APIKeyIn is APIKeyInHeader or APIKeyInQuery.
	APIKeyName  string
	APIKeyValue string
	APIKeyIn    string

	// TokenURL, ClientID, ClientSecret, ClientAuthentication and Scopes are
	// used by AuthOAuth2ClientCredentials. ClientAuthentication is
	// ClientAuthHeader or ClientAuthBody; it is never auto-detected.
	TokenURL             string
	ClientID             string
	ClientSecret         string
	ClientAuthentication string
	Scopes               []string
}

// SecretFields returns pointers to the auth fields that hold secrets, keyed
// by their API name, so storage can seal them and the API can redact them.
func (a *Auth) SecretFields() map[string]*string {
	return map[string]*string{
		"password":     &a.Password,
		"token":        &a.Token,
		"apiKeyValue":  &a.APIKeyValue,
		"clientSecret": &a.ClientSecret,
	}
}

// Timeout returns the datasource's request timeout.
func (d Datasource) Timeout() time.Duration {
	if d.TimeoutSeconds <= 0 {
		return DefaultTimeout
	}
	return time.Duration(d.TimeoutSeconds) * time.Second
}

// DefaultTimeout bounds a request to a datasource whose TimeoutSeconds is zero.
const DefaultTimeout = 30 * time.Second

// UpstreamRequest is one request to a datasource's API. Path is relative to
// the datasource's BaseURL and already escaped; it may carry a query string.
type UpstreamRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// UpstreamResponse is an API's answer, with the body read in full (within the
// size limit).
type UpstreamResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Upstream sends requests to datasources' APIs, applying each datasource's
// base URL, headers, authentication and timeout.
type Upstream interface {
	Do(ctx context.Context, ds Datasource, req UpstreamRequest) (UpstreamResponse, error)
}

// TestResult is the outcome of Test connection.
type TestResult struct {
	OK     bool       `json:"ok"`
	Status string     `json:"status"`
	Steps  []TestStep `json:"steps"`
}

// TestStep is one step of Test connection: fetching a token, or requesting
// the test path.
type TestStep struct {
	Name       string `json:"name"`
	OK         bool   `json:"ok"`
	DurationMS int64  `json:"durationMs"`
	Message    string `json:"message"`
	Hint       string `json:"hint,omitempty"`
}

// StatusValidAccessToken is the TestResult status when the token request and
// the test request both succeed.
const StatusValidAccessToken = "VALID ACCESS TOKEN"

// StatusValidCredentials is the TestResult status when the test request
// succeeds with credentials that need no token request (basic, bearer,
// API key or none).
const StatusValidCredentials = "VALID CREDENTIALS"
