package credential

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
)

// Authorizer applies one datasource's credentials to its requests. It is safe
// for concurrent use.
type Authorizer interface {
	// Authorize adds credentials to req (header, query or Basic), fetching a
	// token if needed.
	Authorize(ctx context.Context, req *http.Request) error
	// Invalidate drops a cached token, after the API returned 401.
	Invalidate()
}

// TokenFetcher is implemented by the authorizers that fetch access tokens.
type TokenFetcher interface {
	// FetchToken requests a new access token, whatever is cached, and keeps
	// it for later Authorize calls.
	FetchToken(ctx context.Context) (TokenInfo, error)
}

// TokenInfo describes a fetched access token without revealing it: it never
// holds the token itself.
type TokenInfo struct {
	// Type is the token type, usually "Bearer".
	Type string
	// Expiry is when the token expires: the request time plus expires_in, or
	// plus DefaultTokenLifetime when ExpiryAssumed.
	Expiry time.Time
	// ExpiryAssumed reports whether the token response had no expires_in
	// (or zero), so Expiry is a guess.
	ExpiryAssumed bool
	// Scope is the scope the token endpoint granted, when it sent one.
	Scope string
	// TokenURL is the token endpoint the token came from.
	TokenURL string
	// Claims are the decoded claims of a JWT access token, or nil for an
	// opaque token.
	Claims *TokenClaims
}

// noAuth sends requests without credentials.
type noAuth struct{}

func (noAuth) Authorize(context.Context, *http.Request) error { return nil }
func (noAuth) Invalidate()                                    {}

// basicAuth sends HTTP Basic credentials (RFC 7617).
type basicAuth struct {
	username, password string
}

func (a basicAuth) Authorize(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(a.username, a.password)
	return nil
}

func (basicAuth) Invalidate() {}

// bearerAuth sends a fixed bearer token (RFC 6750 §2.1).
type bearerAuth struct {
	token string
}

func (a bearerAuth) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+a.token)
	return nil
}

func (bearerAuth) Invalidate() {}

// apiKeyAuth sends an API key in a header or a query parameter.
type apiKeyAuth struct {
	name, value string
	inQuery     bool
}

func (a apiKeyAuth) Authorize(_ context.Context, req *http.Request) error {
	if !a.inQuery {
		req.Header.Set(a.name, a.value)
		return nil
	}

	// Append to the raw query instead of re-encoding it with url.Values,
	// which would re-escape and reorder the parameters the caller escaped.
	param := url.QueryEscape(a.name) + "=" + url.QueryEscape(a.value)
	kept := removeQueryParam(req.URL.RawQuery, a.name)
	if kept == "" {
		req.URL.RawQuery = param
	} else {
		req.URL.RawQuery = kept + "&" + param
	}
	return nil
}

func (apiKeyAuth) Invalidate() {}

// removeQueryParam returns rawQuery without the parameters named name, so the
// key is sent once even when the request path already names it.
func removeQueryParam(rawQuery, name string) string {
	if rawQuery == "" {
		return ""
	}

	var others []string
	for _, part := range strings.Split(rawQuery, "&") {
		key, _, _ := strings.Cut(part, "=")
		if unescaped, err := url.QueryUnescape(key); err == nil && unescaped == name {
			continue
		}
		others = append(others, part)
	}
	return strings.Join(others, "&")
}

// Describe returns a sentence naming the credentials that requests to a
// datasource with auth a carry. The sentence contains no secret.
func Describe(a fieldlink.Auth) string {
	switch a.Mode {
	case fieldlink.AuthNone, "":
		return "Requests carry no credentials."
	case fieldlink.AuthBasic:
		return "Requests carry HTTP Basic credentials for user " + strconv.Quote(a.Username) + "."
	case fieldlink.AuthBearer:
		return "Requests carry the saved bearer token in the Authorization header."
	case fieldlink.AuthAPIKey:
		if a.APIKeyIn == fieldlink.APIKeyInQuery {
			return "Requests carry the API key in the query parameter " + strconv.Quote(a.APIKeyName) + "."
		}
		return "Requests carry the API key in the header " + strconv.Quote(a.APIKeyName) + "."
	case fieldlink.AuthOAuth2ClientCredentials:
		return "Requests carry an access token from " + redactURL(a.TokenURL) + " in the Authorization header."
	}
	return "Authentication mode " + strconv.Quote(string(a.Mode)) + " is not supported."
}

// redactURL returns raw without a password in its user information, or raw
// unchanged when it does not parse.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
