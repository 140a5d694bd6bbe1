package httpapi

import (
	"context"

	"github.com/fieldlink/fieldlink"
)

// storeResolver finds the items that an item depends on, and their
// datasources, in the store. It implements item.Resolver.
type storeResolver struct {
	store Store
}

// ItemByName returns the stored item with the name, or an ENotFound error.
func (r storeResolver) ItemByName(ctx context.Context, name string) (fieldlink.Item, error) {
	return r.store.FindItemByName(ctx, name)
}

// Datasource returns the stored datasource with the ID, or an ENotFound
// error.
func (r storeResolver) Datasource(ctx context.Context, id string) (fieldlink.Datasource, error) {
	return r.store.FindDatasource(ctx, id)
}
