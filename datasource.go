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
	// ClientAuthPrivateKeyJWT sends a client assertion signed with the
	// client's private key instead of a secret (RFC 7523 §2.2, OpenID
	// Connect's "private_key_jwt").
	ClientAuthPrivateKeyJWT = "private_key_jwt"
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

	// ConnectTimeoutSeconds bounds establishing a connection (dial and TLS
	// handshake). Zero means the default of 10 seconds.
	ConnectTimeoutSeconds int

	// CABundle is PEM certificates trusted for the API and the token
	// endpoint instead of the system roots, for a private CA. Empty means the
	// system roots.
	CABundle string

	// AllowLoopback lets this datasource reach 127.0.0.0/8 and ::1.
	AllowLoopback bool

	// AllowPrivateNetworks lets this datasource reach private network ranges
	// (RFC 1918, RFC 4193 and carrier-grade NAT).
	AllowPrivateNetworks bool

	Auth Auth

	// Health is the last recorded state of the connection. It is
	// kept apart from the configuration and never changes UpdatedAt.
	Health DatasourceHealth

	CreatedAt time.Time
	UpdatedAt time.Time
}

// DatasourceHealth is the recorded state of a datasource's connection.
type DatasourceHealth struct {
	// LastTestAt is when Test connection last ran; zero when never.
	LastTestAt time.Time
	// LastSuccessAt is when a token request or API request last succeeded.
	LastSuccessAt time.Time
	// LastErrorAt and LastError describe the last failure, without secrets.
	LastErrorAt time.Time
	LastError   string

	// Unhealthy reports whether a configuration error (wrong secret, expired
	// secret, unknown app or tenant, bad scope) stops all requests until the
	// configuration changes. ConfigVersion is the UpdatedAt it applies to.
	Unhealthy     bool
	ConfigVersion time.Time
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
	// ClientAuthHeader, ClientAuthBody or ClientAuthPrivateKeyJWT; it is
	// never auto-detected.
	TokenURL             string
	ClientID             string
	ClientSecret         string
	ClientAuthentication string
	Scopes               []string

	// TokenParams are extra form parameters of the token request, such as
	// "resource" or "audience" for servers that want them.
	TokenParams map[string]string

	// ClientCertificate (PEM) and ClientPrivateKey (PEM, secret) sign the
	// client assertion of ClientAuthPrivateKeyJWT (RFC 7523). SendX5T adds
	// the SHA-1 thumbprint header "x5t" beside "x5t#S256" for servers that
	// need it.
	ClientCertificate string
	ClientPrivateKey  string
	SendX5T           bool

	// TLSClientCertificate (PEM) and TLSClientKey (PEM, secret) are presented
	// for mutual TLS to the API and the token endpoint, in any mode.
	TLSClientCertificate string
	TLSClientKey         string

	// SecretExpiresAt is when the secret of this mode expires (a client
	// secret, password, token or API key), as the admin entered it; zero
	// when unknown. Certificate expiry is read from the certificates.
	SecretExpiresAt time.Time
}

// SecretFields returns pointers to the auth fields that hold secrets, keyed
// by their API name, so storage can seal them and the API can redact them.
func (a *Auth) SecretFields() map[string]*string {
	return map[string]*string{
		"password":         &a.Password,
		"token":            &a.Token,
		"apiKeyValue":      &a.APIKeyValue,
		"clientSecret":     &a.ClientSecret,
		"clientPrivateKey": &a.ClientPrivateKey,
		"tlsClientKey":     &a.TLSClientKey,
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

// DefaultConnectTimeout bounds a connection to a datasource whose
// ConnectTimeoutSeconds is zero.
const DefaultConnectTimeout = 10 * time.Second

// ConnectTimeout returns the datasource's connection timeout.
func (d Datasource) ConnectTimeout() time.Duration {
	if d.ConnectTimeoutSeconds <= 0 {
		return DefaultConnectTimeout
	}
	return time.Duration(d.ConnectTimeoutSeconds) * time.Second
}

// UpstreamRequest is one request to a datasource's API. Path is relative to
// the datasource's BaseURL and already escaped; it may carry a query string.
type UpstreamRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// UpstreamResponse is an API's response, with the body read in full (within the
// size limit).
type UpstreamResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// RequestTimings splits an upstream request's time for the item tester.
type RequestTimings struct {
	SendingMS int64 `json:"sendingMs"` // connect, TLS and writing the request
	WaitingMS int64 `json:"waitingMs"` // until the first response byte
	ReadingMS int64 `json:"readingMs"` // reading the body
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
	// Warnings are problems that did not fail the test but may fail later,
	// such as a secret that looks like a secret ID or a token without roles.
	Warnings []string `json:"warnings,omitempty"`
	// Token describes the access token received, never the token itself.
	Token *TokenDetails `json:"token,omitempty"`
}

// TestStep is one step of Test connection: checking the URLs and addresses
// ("address"), fetching a token ("token"), or requesting the test path
// ("request").
type TestStep struct {
	Name       string `json:"name"`
	OK         bool   `json:"ok"`
	DurationMS int64  `json:"durationMs"`
	Message    string `json:"message"`
	Hint       string `json:"hint,omitempty"`
}

// TokenDetails describes an access token without revealing it. Audience,
// Roles, Scopes and AppID are read from a JWT access token's claims and are
// empty for an opaque token.
type TokenDetails struct {
	Type      string    `json:"type"`
	ExpiresAt time.Time `json:"expiresAt"`
	Audience  []string  `json:"audience,omitempty"`
	Roles     []string  `json:"roles,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	AppID     string    `json:"appId,omitempty"`
	TenantID  string    `json:"tenantId,omitempty"`
}

// StatusValidAccessToken is the TestResult status when the token request and
// the test request both succeed.
const StatusValidAccessToken = "VALID ACCESS TOKEN"

// StatusValidCredentials is the TestResult status when the test request
// succeeds with credentials that need no token request (basic, bearer,
// API key or none).
const StatusValidCredentials = "VALID CREDENTIALS"
