package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/fieldlink/fieldlink"
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
	config       clientcredentials.Config
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
	// expiresAt and refreshAt are zero when the token endpoint sent no
	// expires_in, and the token is then kept until Invalidate.
	expiresAt time.Time
	refreshAt time.Time
}

func newClientCredentialsAuth(ds fieldlink.Datasource, httpClient *http.Client, now func() time.Time, logger *slog.Logger) *clientCredentialsAuth {
	style := oauth2.AuthStyleInHeader
	if ds.Auth.ClientAuthentication == fieldlink.ClientAuthBody {
		style = oauth2.AuthStyleInParams
	}

	return &clientCredentialsAuth{
		config: clientcredentials.Config{
			ClientID:     ds.Auth.ClientID,
			ClientSecret: ds.Auth.ClientSecret,
			TokenURL:     ds.Auth.TokenURL,
			Scopes:       ds.Auth.Scopes,
			// Set explicitly: the zero value auto-detects by retrying with
			// the other style, which hides a wrong setting and doubles failed
			// requests.
			AuthStyle: style,
		},
		secret:       ds.Auth.ClientSecret,
		httpClient:   httpClient,
		timeout:      ds.Timeout(),
		now:          now,
		logger:       logger,
		datasourceID: ds.ID,
	}
}

// Authorize sets the Authorization header to the cached token, fetching a
// new one when none is cached or the cached one is about to expire.
func (a *clientCredentialsAuth) Authorize(ctx context.Context, req *http.Request) error {
	token, err := a.validToken(ctx)
	if err != nil {
		return err
	}

	token.SetAuthHeader(req)
	return nil
}

// Invalidate drops the cached token so the next Authorize fetches a new one.
func (a *clientCredentialsAuth) Invalidate() {
	a.mu.Lock()
	defer a.mu.Unlock()

	a.token = nil
	a.expiresAt = time.Time{}
	a.refreshAt = time.Time{}
}

// FetchToken requests a new token, replacing the cached one.
func (a *clientCredentialsAuth) FetchToken(ctx context.Context) (TokenInfo, error) {
	token, err := a.fetch(ctx)
	if err != nil {
		return TokenInfo{}, err
	}

	a.mu.Lock()
	expiresAt := a.expiresAt
	a.mu.Unlock()

	scope, _ := token.Extra("scope").(string)
	return TokenInfo{
		Type:     token.Type(),
		Expiry:   expiresAt,
		Scope:    scope,
		TokenURL: redactURL(a.config.TokenURL),
	}, nil
}

// validToken returns the cached token while it is valid. Otherwise it waits
// for a token request shared with every other caller, or until ctx ends.
func (a *clientCredentialsAuth) validToken(ctx context.Context) (*oauth2.Token, error) {
	if token := a.cachedToken(); token != nil {
		return token, nil
	}

	result := a.fetches.DoChan("token", func() (any, error) {
		// A request that finished between the check above and this call
		// has already stored a token.
		if token := a.cachedToken(); token != nil {
			return token, nil
		}
		// The request outlives a caller that gives up, because other
		// callers may be waiting for it. fetch bounds it by the timeout.
		return a.fetch(context.WithoutCancel(ctx))
	})

	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for token from %s: %w", redactURL(a.config.TokenURL), ctx.Err())
	case r := <-result:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	}
}

// cachedToken returns the cached token, or nil when there is none or it
// expires within the refresh margin.
func (a *clientCredentialsAuth) cachedToken() *oauth2.Token {
	a.mu.Lock()
	defer a.mu.Unlock()

	if a.token == nil {
		return nil
	}
	if !a.refreshAt.IsZero() && !a.now().Before(a.refreshAt) {
		return nil
	}
	return a.token
}

// fetch requests a token from the token endpoint and caches it.
func (a *clientCredentialsAuth) fetch(ctx context.Context) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.httpClient)

	requested := a.now()
	token, err := a.config.Token(ctx)
	if err != nil {
		err = a.describeError(err)
		a.logFailure(err)
		return nil, err
	}

	lifetime := expiresIn(token)
	refreshAt := refreshTime(requested, lifetime)
	a.mu.Lock()
	a.token = token
	a.refreshAt = refreshAt
	a.expiresAt = time.Time{}
	if lifetime > 0 {
		a.expiresAt = requested.Add(lifetime)
	}
	a.mu.Unlock()

	a.logger.Debug("access token fetched",
		slog.String("datasource", a.datasourceID),
		slog.String("tokenUrl", redactURL(a.config.TokenURL)),
		slog.Time("refreshAt", refreshAt))
	return token, nil
}

// describeError turns an error from the oauth2 package into a *TokenError
// for an error response, or names the token URL and the failed step.
func (a *clientCredentialsAuth) describeError(err error) error {
	tokenURL := redactURL(a.config.TokenURL)

	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) {
		return decodeTokenError(retrieveErr, tokenURL, a.secret)
	}

	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("fetch token from %s: %w", tokenURL, urlErr.Err)
	}
	return fmt.Errorf("fetch token from %s: %w: %w", tokenURL, ErrInvalidTokenResponse, err)
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

// expiresIn returns the token's lifetime from the expires_in member of the
// token response, or zero when the response had none.
func expiresIn(token *oauth2.Token) time.Duration {
	var seconds float64
	switch v := token.Extra("expires_in").(type) {
	case float64:
		seconds = v
	case int64:
		seconds = float64(v)
	case json.Number:
		seconds, _ = v.Float64()
	case string:
		// Some servers, older Entra ID endpoints among them, send a string.
		seconds, _ = strconv.ParseFloat(v, 64)
	}

	if seconds <= 0 {
		return 0
	}
	return time.Duration(seconds * float64(time.Second))
}

// refreshTime returns when a token requested at requested with the given
// lifetime should be replaced: maxRefreshMargin before it expires, or halfway
// through a lifetime shorter than twice the margin. It returns zero for a
// token without a lifetime, which is kept until Invalidate.
func refreshTime(requested time.Time, lifetime time.Duration) time.Time {
	if lifetime <= 0 {
		return time.Time{}
	}

	margin := min(maxRefreshMargin, lifetime/2)
	return requested.Add(lifetime - margin)
}
