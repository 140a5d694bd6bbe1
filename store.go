package fieldlink

import "context"

// DatasourceStore keeps datasources. Secret auth fields are sealed before
// they are written and unsealed when read.
type DatasourceStore interface {
	// CreateDatasource stores ds, assigning its ID and timestamps.
	CreateDatasource(ctx context.Context, ds *Datasource) error
	// FindDatasource returns the datasource with the ID, or an ENotFound error.
	FindDatasource(ctx context.Context, id string) (Datasource, error)
	// ListDatasources returns all datasources ordered by name.
	ListDatasources(ctx context.Context) ([]Datasource, error)
	// UpdateDatasource replaces the stored datasource with ds.ID.
	UpdateDatasource(ctx context.Context, ds *Datasource) error
	// DeleteDatasource removes the datasource, or fails with EConflict while
	// items or hooks use it.
	DeleteDatasource(ctx context.Context, id string) error
	// SetDatasourceHealth records the datasource's health without touching
	// its configuration or UpdatedAt.
	SetDatasourceHealth(ctx context.Context, id string, h DatasourceHealth) error
}

// ItemStore keeps connected items.
type ItemStore interface {
	CreateItem(ctx context.Context, it *Item) error
	FindItem(ctx context.Context, id string) (Item, error)
	ListItems(ctx context.Context) ([]Item, error)
	UpdateItem(ctx context.Context, it *Item) error
	DeleteItem(ctx context.Context, id string) error
}

// RuleStore keeps routing rules.
type RuleStore interface {
	CreateRule(ctx context.Context, r *Rule) error
	FindRule(ctx context.Context, id string) (Rule, error)
	// ListRules returns all rules ordered by Position, then name.
	ListRules(ctx context.Context) ([]Rule, error)
	UpdateRule(ctx context.Context, r *Rule) error
	DeleteRule(ctx context.Context, id string) error
}

// HookStore keeps webhook intake endpoints. Hook secrets are sealed at rest.
type HookStore interface {
	CreateHook(ctx context.Context, h *Hook) error
	FindHook(ctx context.Context, id string) (Hook, error)
	ListHooks(ctx context.Context) ([]Hook, error)
	DeleteHook(ctx context.Context, id string) error
}

// EventStore keeps ticket events and their outcomes.
type EventStore interface {
	FindEvent(ctx context.Context, id int64) (Event, error)
	// ListEvents returns the most recent events first, at most limit of them.
	ListEvents(ctx context.Context, limit int) ([]Event, error)
	// FinishEvent records the event's final status and outcome.
	FinishEvent(ctx context.Context, id int64, status EventStatus, outcome Outcome) error
}
