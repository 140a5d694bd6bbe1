package store

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// maxConfigEntries bounds the records a configCache keeps. Only records
// that exist are kept, so the bound is reached only by a configuration
// larger than it, which then reads the rest from the database.
const maxConfigEntries = 20_000

// configCache keeps the configuration records that every ticket event and
// API request reads (datasources, items, rules, hooks and API tokens), so
// that those reads cost no statement, JSON decoding or unsealing. It is
// used on SQLite only, where this process makes every change itself.
//
// Any change to a configuration table drops every kept record: the
// generation counts the changes, and a record read under an older
// generation is not used. A change bumps the generation after it commits,
// and a read records the generation from before its statement, so a read
// that overlapped a change is never used afterwards.
//
// NOTE: a change made by another process on the same file, such as
// "fieldlink import --replace" while the server runs, is not seen until
// this process changes the configuration itself or restarts.
type configCache struct {
	generation atomic.Uint64

	mu      sync.RWMutex
	entries map[configKey]configEntry
}

// configKey names a kept record or list: its kind, such as "datasource",
// and its ID, name or hash.
type configKey struct {
	kind string
	key  string
}

type configEntry struct {
	generation uint64
	value      any
}

func newConfigCache() *configCache {
	return &configCache{entries: make(map[configKey]configEntry)}
}

// changed drops every kept record. Call it after a change to a
// configuration table is committed. A nil *configCache ignores it.
func (c *configCache) changed() {
	if c == nil {
		return
	}
	c.generation.Add(1)

	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// configChanged drops the configuration records kept on SQLite. A method
// whose write to a configuration table returns rows calls it after reading
// them. conn and txn call it after every other such write.
func (db *DB) configChanged() {
	db.config.changed()
}

// get returns the record kept under k for the current generation.
func (c *configCache) get(k configKey) (any, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[k]
	if !ok || e.generation != c.generation.Load() {
		return nil, false
	}
	return e.value, true
}

// put keeps v under k when no change happened since generation.
func (c *configCache) put(generation uint64, k configKey, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.generation.Load() || len(c.entries) >= maxConfigEntries {
		return
	}
	c.entries[k] = configEntry{generation: generation, value: v}
}

// cachedRead returns a copy of the record kept under kind and key, or reads
// it with read and keeps a copy. Errors, such as a record not found, are
// not kept. A nil c always reads.
func cachedRead[T any](c *configCache, kind, key string, clone func(T) T, read func() (T, error)) (T, error) {
	if c == nil {
		return read()
	}

	k := configKey{kind: kind, key: key}
	if v, ok := c.get(k); ok {
		return clone(v.(T)), nil
	}

	generation := c.generation.Load()
	v, err := read()
	if err != nil {
		return v, err
	}
	c.put(generation, k, clone(v))
	return v, nil
}

// configTables are the tables whose records a configCache keeps, with
// datasource_health, whose rows FindDatasource joins.
var configTables = []string{"datasources", "datasource_health", "items", "rules", "hooks", "api_tokens"}

// writeTarget finds the table that an INSERT, UPDATE, DELETE or REPLACE
// statement writes.
var writeTarget = regexp.MustCompile(`(?is)^\s*(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?(\w+)`)

// writesConfig reports whether query writes one of configTables.
func writesConfig(query string) bool {
	m := writeTarget.FindStringSubmatch(query)
	return m != nil && slices.Contains(configTables, strings.ToLower(m[1]))
}

// The clone functions copy every map and slice of a record, so that a
// caller that changes the record it got, for example to apply an update
// that then fails validation, cannot change the kept one.

func cloneDatasource(ds fieldlink.Datasource) fieldlink.Datasource {
	ds.Headers = maps.Clone(ds.Headers)
	ds.Auth.Scopes = slices.Clone(ds.Auth.Scopes)
	ds.Auth.TokenParams = maps.Clone(ds.Auth.TokenParams)
	return ds
}

func cloneItem(it fieldlink.Item) fieldlink.Item {
	it.Request.Headers = maps.Clone(it.Request.Headers)
	return it
}

func cloneItems(items []fieldlink.Item) []fieldlink.Item {
	return cloneEach(items, cloneItem)
}

func cloneRule(r fieldlink.Rule) fieldlink.Rule {
	if r.Fields != nil {
		fields := make(map[string]json.RawMessage, len(r.Fields))
		for id, raw := range r.Fields {
			fields[id] = bytes.Clone(raw)
		}
		r.Fields = fields
	}
	r.AddLabels = slices.Clone(r.AddLabels)
	r.RequestParticipants = slices.Clone(r.RequestParticipants)
	return r
}

func cloneRules(rules []fieldlink.Rule) []fieldlink.Rule {
	return cloneEach(rules, cloneRule)
}

func cloneHook(h fieldlink.Hook) fieldlink.Hook {
	h.ProjectKeys = slices.Clone(h.ProjectKeys)
	h.Events = slices.Clone(h.Events)
	return h
}

// cloneToken returns t: an API token holds no map or slice.
func cloneToken(t auth.Token) auth.Token {
	return t
}

// cloneEach copies list and each of its records, keeping a nil list nil.
func cloneEach[T any](list []T, clone func(T) T) []T {
	if list == nil {
		return nil
	}
	out := make([]T, len(list))
	for i, v := range list {
		out[i] = clone(v)
	}
	return out
}
