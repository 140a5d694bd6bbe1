package item

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/fieldlink/fieldlink"
)

// cacheKey identifies one upstream result: the item, how many times it was
// forgotten, and a digest of the datasource version, the rendered first
// request and the settings that decide which pages and rows are fetched.
type cacheKey struct {
	itemID     string
	generation uint64
	digest     [sha256.Size]byte
}

// String returns the key as text, for singleflight.
func (k cacheKey) String() string {
	return k.itemID + "\x00" + strconv.FormatUint(k.generation, 10) + "\x00" + hex.EncodeToString(k.digest[:])
}

// cachedPages is the result of fetching an item's pages, with the time it is
// reused for.
type cachedPages struct {
	pages fetchResult
	ttl   time.Duration
}

// requestDigest hashes what makes two fetches the same. That is the
// datasource and its version (a change of base URL or credentials gives a
// new UpdatedAt), the method, path, headers and body of the first request,
// and settings such as the root and the paging mode. The following requests
// come from the first one and its responses, so they need no part of their
// own.
func requestDigest(ds fieldlink.Datasource, req fieldlink.UpstreamRequest, settings ...string) [sha256.Size]byte {
	// The fields go into one buffer that is hashed at once, which costs
	// far less than a write to the hash per field.
	buf := make([]byte, 0, 512)
	buf = appendField(buf, ds.ID)
	buf = appendField(buf, strconv.FormatInt(ds.UpdatedAt.UnixNano(), 10))
	buf = appendField(buf, req.Method)
	buf = appendField(buf, req.Path)

	// Sorting the keys of an empty map still allocates, so it is skipped.
	if len(req.Header) > 0 {
		for _, name := range slices.Sorted(maps.Keys(req.Header)) {
			for _, value := range req.Header[name] {
				buf = appendField(buf, name)
				buf = appendField(buf, value)
			}
		}
	}

	buf = appendField(buf, string(req.Body))
	for _, setting := range settings {
		buf = appendField(buf, setting)
	}
	return sha256.Sum256(buf)
}

// appendField appends s with its length first, so no two sequences of
// fields give the same bytes.
func appendField(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
	return append(buf, s...)
}

// pageCache contains the rows of fetched pages, bounded in entries, each
// entry expiring after its ttl.
type pageCache = otter.Cache[cacheKey, cachedPages]

func newPageCache(maxEntries int, now func() time.Time, logger *slog.Logger) *pageCache {
	return otter.Must(&otter.Options[cacheKey, cachedPages]{
		MaximumSize: maxEntries,
		ExpiryCalculator: otter.ExpiryCreatingFunc(func(e otter.Entry[cacheKey, cachedPages]) time.Duration {
			return e.Value.ttl
		}),
		Clock:  cacheClock{now: now},
		Logger: cacheLogger{logger: logger},
	})
}

// cacheClock is the engine's clock as otter reads it. It delivers no ticks,
// so the cache starts no goroutine: expired entries are never returned and
// are dropped during the maintenance that writes trigger.
type cacheClock struct {
	now func() time.Time
}

// NowNano returns the engine's time in nanoseconds since the Unix epoch.
func (c cacheClock) NowNano() int64 { return c.now().UnixNano() }

// Tick returns nil, which turns off periodic clean-up.
func (c cacheClock) Tick(time.Duration) <-chan time.Time { return nil }

// cacheLogger sends otter's warnings and errors to the engine's logger.
type cacheLogger struct {
	logger *slog.Logger
}

// Warn logs a warning of the cache.
func (l cacheLogger) Warn(ctx context.Context, msg string, err error) {
	l.logger.WarnContext(ctx, "item cache: "+msg, "error", err)
}

// Error logs an error of the cache.
func (l cacheLogger) Error(ctx context.Context, msg string, err error) {
	l.logger.ErrorContext(ctx, "item cache: "+msg, "error", err)
}
