package item

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink"
)

// DefaultMaxCacheEntries bounds the result cache when Options.MaxCacheEntries
// is zero.
const DefaultMaxCacheEntries = 10_000

// Options configures an Engine.
type Options struct {
	// Upstream sends the items' requests. It is required.
	Upstream fieldlink.Upstream

	// Now returns the current time, which decides when cached results
	// expire. Defaults to time.Now.
	Now func() time.Time

	// MaxCacheEntries bounds the number of cached results. Defaults to
	// DefaultMaxCacheEntries.
	MaxCacheEntries int

	// Logger receives debug records of evaluations. Defaults to discarding
	// them.
	Logger *slog.Logger
}

// Engine evaluates items. It caches each item's results per rendered request
// for the item's CacheSeconds, and sends one upstream request for concurrent
// evaluations of the same request. When the context of the evaluation that
// sent it ends first, the others send it again. An Engine is safe for
// concurrent use.
type Engine struct {
	upstream fieldlink.Upstream
	now      func() time.Time
	logger   *slog.Logger
	cache    *pageCache
	compiled *compiledCache
	flights  flightGroup

	// generations counts the Forget calls per item ID, and epoch the
	// ForgetAll calls. Both are part of the cache key, so a request that was
	// in flight during a Forget cannot bring back the old result.
	mu          sync.Mutex
	generations map[string]uint64
	epoch       uint64

	// onCacheMiss, when set, runs after a cache miss and before the request
	// is sent or joined. Tests use it to hold callers at that point.
	onCacheMiss func()
}

// NewEngine returns an Engine with the options' defaults applied.
func NewEngine(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxCacheEntries <= 0 {
		opts.MaxCacheEntries = DefaultMaxCacheEntries
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	return &Engine{
		upstream:    opts.Upstream,
		now:         opts.Now,
		logger:      opts.Logger,
		cache:       newPageCache(opts.MaxCacheEntries, opts.Now, opts.Logger),
		compiled:    newCompiledCache(cacheClock{now: opts.Now}),
		generations: make(map[string]uint64),
	}
}

// Evaluate renders the item's request from tc and sends it to ds, or reuses
// a result cached for the same rendered request within it.CacheSeconds. It
// follows the item's paging and selects rows with it.Root, at most
// it.MaxRows of them. It renders it.Template once per row, or once over the
// whole response when the template reads data and not row. A select item's
// rows become options, narrowed to those that contain tc.UserInput.
//
// The results of the items it depends on are read from tc.Items, and one
// without a value fails with *MissingValueError unless the placeholder
// gives a default. A missing value fails before any request is sent. A
// non-2xx response fails with *UpstreamStatusError, a body that is not
// JSON with *NotJSONError, and paging that cannot go on with *PagingError.
// Failed requests are not cached.
func (e *Engine) Evaluate(ctx context.Context, it fieldlink.Item, ds fieldlink.Datasource, tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	return e.evaluate(ctx, it, ds, tc, true)
}

// evaluate is Evaluate, with filter saying whether tc.UserInput narrows a
// select item's options.
func (e *Engine) evaluate(ctx context.Context, it fieldlink.Item, ds fieldlink.Datasource, tc fieldlink.TicketContext, filter bool) (fieldlink.ItemResult, error) {
	c, err := e.compile(it)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}
	env, err := contextEnv(tc)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}
	req, err := c.render(env)
	if err != nil {
		return fieldlink.ItemResult{}, fmt.Errorf("render request of item %q: %w", it.Name, err)
	}

	pages, cached, err := e.pages(ctx, c, ds, req)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}

	result, err := c.result(pages, env, tc.UserInput, filter)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}

	e.logger.DebugContext(ctx, "item evaluated", "item", it.ID, "cached", cached, "rows", result.Rows, "values", len(result.Values), "truncated", result.Truncated)
	return result, nil
}

// Forget drops the cached results and the compiled templates of the item
// with itemID, so the next evaluation after the item changed sends a
// request.
func (e *Engine) Forget(itemID string) {
	e.mu.Lock()
	e.generations[itemID]++
	e.mu.Unlock()

	e.compiled.Invalidate(itemID)
	for key := range e.cache.Keys() {
		if key.itemID == itemID {
			e.cache.Invalidate(key)
		}
	}
}

// ForgetAll drops every cached result, for when changes to items may have
// gone unnoticed.
func (e *Engine) ForgetAll() {
	e.mu.Lock()
	e.epoch++
	e.mu.Unlock()

	e.compiled.InvalidateAll()
	e.cache.InvalidateAll()
}

// CachedResults returns the number of results in the cache. While other
// goroutines evaluate items, the number is an estimate.
func (e *Engine) CachedResults() int {
	return e.cache.EstimatedSize()
}

// generation returns the part of an item's cache key that Forget and
// ForgetAll change.
func (e *Engine) generation(itemID string) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.epoch<<32 + e.generations[itemID]
}

// pages returns what the item's pages yield for the first request req, from
// the cache when the item caches and a result is there. cached reports
// whether it came from the cache.
func (e *Engine) pages(ctx context.Context, c *compiledItem, ds fieldlink.Datasource, req fieldlink.UpstreamRequest) (pages fetchResult, cached bool, err error) {
	if e.upstream == nil {
		return fetchResult{}, false, errors.New("no upstream is configured for the items engine")
	}

	it := c.item
	key := cacheKey{itemID: it.ID, generation: e.generation(it.ID), digest: requestDigest(ds, req, c.cacheSettings...)}
	ttl := time.Duration(it.CacheSeconds) * time.Second
	if ttl > 0 {
		if entry, ok := e.cache.GetIfPresent(key); ok {
			return entry.pages, true, nil
		}
	}

	if e.onCacheMiss != nil {
		e.onCacheMiss()
	}

	pages, err = e.flights.share(ctx, key, func(ctx context.Context) (fetchResult, error) {
		// A flight that ended just before this one began may have stored
		// the result.
		if ttl > 0 {
			if entry, ok := e.cache.GetIfPresent(key); ok {
				return entry.pages, nil
			}
		}

		// The requests run with the leader's context. When it ends, the
		// callers waiting for them fetch again with their own. The
		// Upstream bounds each request with the datasource's timeout.
		send := func(ctx context.Context, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error) {
			return e.upstream.Do(ctx, ds, req)
		}
		pages, err := e.fetchPages(ctx, c, ds, req, send)
		if err != nil {
			return fetchResult{}, err
		}

		if ttl > 0 {
			e.cache.Set(key, cachedPages{pages: pages, ttl: ttl})
		}
		return pages, nil
	})
	if err != nil {
		return fetchResult{}, false, err
	}
	return pages, false, nil
}

// pathOnly returns path without its query, which can be long, to keep error
// messages short.
func pathOnly(path string) string {
	before, _, _ := strings.Cut(path, "?")
	return shorten(before)
}

// maxMessageValue bounds a path or an upstream message quoted in an error,
// so a very long value cannot make an error message megabytes long.
const maxMessageValue = 300

// shorten cuts s to maxMessageValue bytes on a rune boundary, marking the cut.
func shorten(s string) string {
	if len(s) <= maxMessageValue {
		return s
	}
	cut := maxMessageValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
