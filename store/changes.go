package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the PostgreSQL channel the change triggers notify.
const changesChannel = "fieldlink_changes"

// Change names a configuration record that another writer changed.
type Change struct {
	// Kind is "datasource", "item", "rule" or "hook". It is empty when
	// changes may have been missed and everything cached must go.
	Kind string
	// ID is the record's ID.
	ID string
}

// changeKinds maps the notifying tables to the kinds of Change.
var changeKinds = map[string]string{
	"datasources": "datasource",
	"items":       "item",
	"rules":       "rule",
	"hooks":       "hook",
}

// WatchChanges calls fn for every committed change to a datasource, item,
// rule or hook made through any connection to a PostgreSQL database, until
// ctx ends. It listens on a connection of its own and reconnects when the
// connection drops. Each time LISTEN takes effect, at start and after a
// reconnection, it calls fn with an empty Change, because changes made
// before were not announced to it. fn runs on the watching
// goroutine and must not block for long.
//
// On SQLite, where one process owns the file and makes every change
// itself, WatchChanges returns nil at once.
func (db *DB) WatchChanges(ctx context.Context, fn func(Change)) error {
	if db.pgx == nil {
		return nil
	}

	const (
		firstDelay = 100 * time.Millisecond
		maxDelay   = 10 * time.Second
	)
	delay := firstDelay
	for ctx.Err() == nil {
		// Whatever was cached before LISTEN took effect, at start or
		// during a reconnection, may be stale.
		listening := func() {
			fn(Change{})
			delay = firstDelay
		}
		err := db.listenOnce(ctx, listening, fn)
		if ctx.Err() != nil {
			break
		}

		db.logger.Warn("listening for configuration changes stopped; cached lookups are dropped when it resumes",
			slog.String("database", db.name), slog.Any("error", err), slog.Duration("retryIn", delay))
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, maxDelay)
	}
	return nil
}

// listenOnce holds one connection listening on changesChannel and passes
// each notification to fn until the connection fails or ctx ends.
// listening is called once LISTEN is in effect.
func (db *DB) listenOnce(ctx context.Context, listening func(), fn func(Change)) error {
	// A connection of its own, outside the pool, so listening never takes
	// one of the pool's connections from the queries.
	conn, err := pgx.ConnectConfig(ctx, db.pgx.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return fmt.Errorf("LISTEN %s: %w", changesChannel, err)
	}
	listening()

	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}

		table, id, ok := strings.Cut(n.Payload, ":")
		kind := changeKinds[table]
		if !ok || kind == "" {
			db.logger.Warn("ignored a change notification of unknown form", slog.String("payload", n.Payload))
			continue
		}
		fn(Change{Kind: kind, ID: id})
	}
}
