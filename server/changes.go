package server

import (
	"context"

	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/store"
)

// watchChanges drops what this replica cached for each datasource and item
// that any replica changes, until ctx ends. On SQLite it returns at once:
// the API drops the caches itself on every change it makes.
func (s *Server) watchChanges(ctx context.Context) {
	_ = s.db.WatchChanges(ctx, func(c store.Change) {
		s.logger.Debug("configuration change noticed, dropping what was cached for it", "kind", c.Kind, "id", c.ID)
		s.forget(c)
	})
}

// changeForgetter returns the function that drops the cached item results
// and credentials a change makes stale. An empty change drops them all.
//
// Rules and hooks are read from the database for every event, so a change
// to them needs nothing dropped. Neither, strictly, does a datasource: its
// cached token is keyed by its settings and UpdatedAt. Forgetting it still
// frees the memory at once.
func changeForgetter(engine *item.Engine, creds *credential.Cache) func(store.Change) {
	return func(c store.Change) {
		switch c.Kind {
		case "":
			engine.ForgetAll()
			creds.ForgetAll()
		case "item":
			engine.Forget(c.ID)
		case "datasource":
			creds.Forget(c.ID)
		}
	}
}
