package credential

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// maxRefreshMargin is how long before its expiry a cached token is replaced,
// so that a request does not carry a token that expires in flight.
const maxRefreshMargin = time.Minute

// ErrInvalidTokenResponse marks a token endpoint response that is not an
// OAuth 2 token response, such as an HTML page or JSON without access_token.
var ErrInvalidTokenResponse = errors.New("invalid token response")

// clientCredentialsAuth fetches access tokens with the OAuth 2 client
// credentials grant and caches one until shortly before it expires.
type clientCredentialsAuth struct {
	// config has no EndpointParams: fetch adds them to a copy, because a
	// client assertion must be new for every token request.
	config       clientcredentials.Config
	tokenParams  url.Values
	assertion    *assertionSigner // nil unless private_key_jwt
	secret       string
	httpClient   *http.Client
	timeout      time.Duration
	now          func() time.Time
	logger       *slog.Logger
	datasourceID string

	// fetches makes concurrent callers that find no valid token share one
	// token request.
	fetches singleflight.Group

	mu    sync.Mutex
	token *oauth2.Token
	// authorization is the Authorization header value of token, built
	// once per token because a JWT access token can be kilobytes long.
	authorization string
	info          TokenInfo
	// refreshAt is when the cached token is replaced.
	refreshAt time.Time
	// configErr is the last token request's error when IsConfigError
	// reports it, returned without a new request until FetchToken succeeds.
	configErr error
}

func newClientCredentialsAuth(ds fieldlink.Datasource, httpClient *http.Client, now func() time.Time, logger *slog.Logger) (*clientCredentialsAuth, error) {
	a := &clientCredentialsAuth{
		config: clientcredentials.Config{
			ClientID: ds.Auth.ClientID,
			TokenURL: ds.Auth.TokenURL,
			Scopes:   ds.Auth.Scopes,
			// Set explicitly: the zero value auto-detects by retrying with
			// the other style, which hides a wrong setting and doubles failed
			// requests.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		tokenParams: make(url.Values),
		secret:      ds.Auth.ClientSecret,
		timeout:     ds.Timeout(),
		now:         now,
		logger:      logger,
		// The token response is checked before golang.org/x/oauth2 reads
		// it. The client keeps the guard, redirect rules and size limit of
		// httpClient.
		httpClient: &http.Client{
			Transport:     &expiresInCheck{base: transportOf(httpClient)},
			CheckRedirect: httpClient.CheckRedirect,
		},
		datasourceID: ds.ID,
	}
	for name, value := range ds.Auth.TokenParams {
		a.tokenParams.Set(name, value)
	}

	switch ds.Auth.ClientAuthentication {
	case fieldlink.ClientAuthBody:
		a.config.AuthStyle = oauth2.AuthStyleInParams
		a.config.ClientSecret = ds.Auth.ClientSecret
	case fieldlink.ClientAuthPrivateKeyJWT:
		// client_id goes in the body beside the assertion, and no secret
		// at all (RFC 7523 §2.2).
		a.config.AuthStyle = oauth2.AuthStyleInParams
		a.secret = ""
		signer, err := newAssertionSigner(ds.Auth, now())
		if err != nil {
			return nil, err
		}
		a.assertion = signer
	default:
		a.config.ClientSecret = ds.Auth.ClientSecret
	}
	return a, nil
}

// transportOf returns c's transport, or http.DefaultTransport for a client
// without one.
func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport == nil {
		return http.DefaultTransport
	}
	return c.Transport
}

// Authorize sets the Authorization header to the cached token, fetching a
// new one when none is cached or the cached one is about to expire.
func (a *clientCredentialsAuth) Authorize(ctx context.Context, req *http.Request) error {
	authorization, err := a.validToken(ctx)
	if err != nil {
		return err
	}

	req.Header.Set("Authorization", authorization)
	return nil
}

// Invalidate drops the cached token so the next Authorize fetches a new one.
// A remembered configuration error stays.
func (a *clientCredentialsAuth) Invalidate() {
	a.mu.Lock()
	defer a.mu.Unlock()

	a.token = nil
	a.authorization = ""
	a.info = TokenInfo{}
	a.refreshAt = time.Time{}
}

// FetchToken requests a new token, replacing the cached one, even after a
// remembered configuration error, which a success clears.
func (a *clientCredentialsAuth) FetchToken(ctx context.Context) (TokenInfo, error) {
	if _, err := a.fetch(ctx); err != nil {
		return TokenInfo{}, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	return a.info, nil
}

// validToken returns the Authorization header value of the cached token
// while it is valid, or the remembered configuration error. Otherwise it
// waits for a token request shared with every other caller, or until ctx
// ends.
func (a *clientCredentialsAuth) validToken(ctx context.Context) (string, error) {
	if authorization, err := a.cachedAuthorization(); authorization != "" || err != nil {
		return authorization, err
	}

	waitStart := time.Now()
	result := a.fetches.DoChan("token", func() (any, error) {
		// A request that finished between the check above and this call
		// has already stored a token.
		if authorization, _ := a.cachedAuthorization(); authorization != "" {
			return authorization, nil
		}
		// The request outlives a caller that gives up, because other
		// callers may be waiting for it. fetch bounds it by the timeout.
		token, err := a.fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		return authorizationOf(token), nil
	})

	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// A wait that reached the datasource's timeout names that
			// timeout, not the few milliseconds a busy machine adds to it.
			waited := min(time.Since(waitStart).Round(100*time.Millisecond), a.timeout)
			return "", tokenTimeoutError(redactURL(a.config.TokenURL), waited, ctx.Err())
		}
		return "", fmt.Errorf("wait for token from %s: %w", redactURL(a.config.TokenURL), ctx.Err())
	case r := <-result:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

// cachedAuthorization returns the remembered configuration error, or the
// Authorization header value of the cached token. It returns neither when
// there is no token or it expires within the refresh margin.
func (a *clientCredentialsAuth) cachedAuthorization() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()

	if a.configErr != nil {
		return "", a.configErr
	}
	if a.token == nil || !a.now().Before(a.refreshAt) {
		return "", nil
	}
	return a.authorization, nil
}

// authorizationOf returns the Authorization header value that sends token.
func authorizationOf(token *oauth2.Token) string {
	return token.Type() + " " + token.AccessToken
}

// fetch requests a token from the token endpoint and caches it. It
// remembers a configuration error and clears it after a success.
func (a *clientCredentialsAuth) fetch(ctx context.Context) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.httpClient)

	requested := a.now()
	config, err := a.requestConfig(requested)
	if err != nil {
		return nil, err
	}

	token, err := config.Token(ctx)
	if err != nil {
		err = a.describeError(err)
		a.logFailure(err)
		if IsConfigError(err) {
			a.mu.Lock()
			a.configErr = err
			a.mu.Unlock()
		}
		return nil, err
	}

	// expiresInCheck has rejected an invalid expires_in already.
	lifetime, _, _ := tokenLifetime(token.Extra("expires_in"))
	assumed := lifetime <= 0
	if assumed {
		lifetime = DefaultTokenLifetime
	}
	scope, _ := token.Extra("scope").(string)
	info := TokenInfo{
		Type:          token.Type(),
		Expiry:        requested.Add(lifetime),
		ExpiryAssumed: assumed,
		Scope:         scope,
		TokenURL:      redactURL(a.config.TokenURL),
		Claims:        decodeTokenClaims(token.AccessToken),
	}
	refreshAt := refreshTime(requested, lifetime)

	a.mu.Lock()
	a.token = token
	a.authorization = authorizationOf(token)
	a.info = info
	a.refreshAt = refreshAt
	a.configErr = nil
	a.mu.Unlock()

	a.logger.Debug("access token fetched",
		slog.String("datasource", a.datasourceID),
		slog.String("tokenUrl", info.TokenURL),
		slog.Bool("expiryAssumed", assumed),
		slog.Time("refreshAt", refreshAt))
	return token, nil
}

// requestConfig returns the client credentials configuration of one token
// request: the token parameters and, for private_key_jwt, a client
// assertion signed at now.
func (a *clientCredentialsAuth) requestConfig(now time.Time) (clientcredentials.Config, error) {
	config := a.config
	config.EndpointParams = make(url.Values, len(a.tokenParams)+2)
	for name, values := range a.tokenParams {
		config.EndpointParams[name] = values
	}

	if a.assertion != nil {
		assertion, err := a.assertion.sign(a.config.ClientID, a.config.TokenURL, now)
		if err != nil {
			return clientcredentials.Config{}, err
		}
		config.EndpointParams.Set("client_assertion_type", clientAssertionType)
		config.EndpointParams.Set("client_assertion", assertion)
	}
	return config, nil
}

// describeError turns an error from the oauth2 package into a *TokenError
// for an error response, or names the token URL and the failed step.
func (a *clientCredentialsAuth) describeError(err error) error {
	tokenURL := redactURL(a.config.TokenURL)

	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) {
		return decodeTokenError(retrieveErr, tokenURL, a.secret)
	}

	var page *HTMLPageError
	if errors.As(err, &page) {
		page.TokenURL = tokenURL
		page.Title = outbound.Redact(page.Title, a.secret)
		page.Text = outbound.Redact(page.Text, a.secret)
		return page
	}

	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if errors.Is(urlErr.Err, context.DeadlineExceeded) {
			return tokenTimeoutError(tokenURL, a.timeout, urlErr.Err)
		}
		return fmt.Errorf("fetch token from %s: %w", tokenURL, urlErr.Err)
	}
	return fmt.Errorf("fetch token from %s: %w: %w", tokenURL, ErrInvalidTokenResponse, err)
}

// tokenTimeoutError reports a token request to tokenURL that got no
// response within after. It wraps err, a context.DeadlineExceeded, so
// callers that retry timeouts later retry it too.
func tokenTimeoutError(tokenURL string, after time.Duration, err error) error {
	return fmt.Errorf("token request to %s timed out after %s (%w): check that this server can reach the token endpoint, or raise the datasource's timeoutSeconds",
		tokenURL, after, err)
}

func (a *clientCredentialsAuth) logFailure(err error) {
	attrs := []any{
		slog.String("datasource", a.datasourceID),
		slog.String("tokenUrl", redactURL(a.config.TokenURL)),
		slog.Any("error", err),
	}

	var tokenErr *TokenError
	if errors.As(err, &tokenErr) {
		attrs = append(attrs,
			slog.Int("status", tokenErr.Status),
			slog.String("code", tokenErr.Code),
			slog.Any("errorCodes", tokenErr.ErrorCodes),
			slog.String("traceId", tokenErr.TraceID),
			slog.String("correlationId", tokenErr.CorrelationID))
	}
	a.logger.Warn("token request failed", attrs...)
}

// refreshTime returns when a token requested at requested with the given
// lifetime should be replaced: maxRefreshMargin before it expires, or halfway
// through a lifetime shorter than twice the margin.
func refreshTime(requested time.Time, lifetime time.Duration) time.Time {
	margin := min(maxRefreshMargin, lifetime/2)
	return requested.Add(lifetime - margin)
}
