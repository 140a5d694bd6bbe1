package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fieldlink/fieldlink"
)

// HTTPClientFunc returns the HTTP client for requests to a datasource, such
// as outbound.Client.For, so that token requests use the datasource's
// connection settings and address allowances.
type HTTPClientFunc func(ds fieldlink.Datasource) (*http.Client, error)

// Cache keeps one Authorizer per datasource, so that an OAuth 2 access token
// is reused across requests. It is safe for concurrent use.
type Cache struct {
	clientFor HTTPClientFunc
	logger    *slog.Logger
	now       func() time.Time

	// fingerprints computes the keyed HMAC over auth settings, which shows
	// whether a cached authorizer still fits a datasource.
	fingerprints *fingerprinter

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	fingerprint []byte
	authorizer  Authorizer
}

// NewCache returns a Cache whose token requests go through the client that
// clientFor returns for each datasource, which should be a guarded client of
// package outbound. A nil logger discards.
func NewCache(clientFor HTTPClientFunc, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	return &Cache{
		clientFor:    clientFor,
		logger:       logger,
		now:          time.Now,
		fingerprints: newFingerprinter([]byte(rand.Text())),
		entries:      make(map[string]cacheEntry),
	}
}

// Authorizer returns the authorizer for ds, reusing the cached one while
// ds.ID, its auth and connection settings (including secrets) and its
// UpdatedAt are unchanged. A datasource without an ID, one not yet saved,
// gets a new authorizer that is not cached. Invalid settings return the
// *fieldlink.Error of Validate or of the HTTP client function.
//
// An OAuth 2 authorizer remembers a configuration error of the token
// endpoint (see IsConfigError) and returns it without a new token request,
// until ds changes or Forget drops it.
func (c *Cache) Authorizer(ds fieldlink.Datasource) (Authorizer, error) {
	if ds.ID == "" {
		return c.NewAuthorizer(ds)
	}

	fingerprint := c.fingerprints.sum(ds)
	c.mu.Lock()
	entry, ok := c.entries[ds.ID]
	c.mu.Unlock()
	if ok && hmac.Equal(entry.fingerprint, fingerprint) {
		return entry.authorizer, nil
	}

	authorizer, err := c.NewAuthorizer(ds)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	// Another caller may have stored an authorizer for the same settings
	// meanwhile. Keeping the first one keeps its token.
	if entry, ok := c.entries[ds.ID]; ok && hmac.Equal(entry.fingerprint, fingerprint) {
		return entry.authorizer, nil
	}
	c.entries[ds.ID] = cacheEntry{fingerprint: fingerprint, authorizer: authorizer}
	c.logger.Debug("authorizer created", slog.String("datasource", ds.ID), slog.String("mode", string(ds.Auth.Mode)))
	return authorizer, nil
}

// NewAuthorizer returns a new authorizer for ds that is not cached, so its
// first Authorize fetches a new token. Test connection uses it.
func (c *Cache) NewAuthorizer(ds fieldlink.Datasource) (Authorizer, error) {
	if err := validateAt(ds.Auth, c.now()); err != nil {
		return nil, err
	}

	a := ds.Auth
	switch a.Mode {
	case fieldlink.AuthBasic:
		return basicAuth{username: a.Username, password: a.Password}, nil
	case fieldlink.AuthBearer:
		return bearerAuth{token: a.Token}, nil
	case fieldlink.AuthAPIKey:
		return apiKeyAuth{name: a.APIKeyName, value: a.APIKeyValue, inQuery: a.APIKeyIn == fieldlink.APIKeyInQuery}, nil
	case fieldlink.AuthOAuth2ClientCredentials:
		httpClient, err := c.clientFor(ds)
		if err != nil {
			return nil, err
		}
		return newClientCredentialsAuth(ds, httpClient, c.now, c.logger)
	}
	return noAuth{}, nil
}

// Forget drops the cached authorizer and token of a datasource, after it was
// deleted or its settings changed.
func (c *Cache) Forget(datasourceID string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	delete(c.entries, datasourceID)
}

// ForgetAll drops every cached authorizer and token.
func (c *Cache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()

	clear(c.entries)
}
