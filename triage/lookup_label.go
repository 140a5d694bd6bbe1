package triage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
)

// datasourceTracker is an item.Resolver that remembers the datasource it
// returned last. The engine looks up each item's datasource just before it
// evaluates that item and stops at the first failure, so after a failed
// evaluation last is the datasource of the item that failed, which may be a
// dependency's.
type datasourceTracker struct {
	item.Resolver
	last fieldlink.Datasource
}

// Datasource returns the resolver's datasource with the ID and remembers it.
func (t *datasourceTracker) Datasource(ctx context.Context, id string) (fieldlink.Datasource, error) {
	ds, err := t.Resolver.Datasource(ctx, id)
	if err == nil {
		t.last = ds
	}
	return ds, err
}

// withDatasource prefixes err's message with the datasource's name, so an
// outcome names the datasource that a failed lookup went to. A *TransientError
// stays one, with its RetryAfter. err is returned as it is when it is nil or
// the datasource is not known.
func withDatasource(err error, ds fieldlink.Datasource) error {
	if err == nil || ds.Name == "" {
		return err
	}

	var transient *TransientError
	if errors.As(err, &transient) {
		return &TransientError{Err: fmt.Errorf("datasource %q: %w", ds.Name, transient.Err), RetryAfter: transient.RetryAfter}
	}
	return fmt.Errorf("datasource %q: %w", ds.Name, err)
}

// itemPrefix returns "item "<name>": " for the start of an item failure's
// message, or "" when err's message names the item already, as the items
// engine's errors do.
func itemPrefix(name string, err error) string {
	if strings.Contains(err.Error(), strconv.Quote(name)) {
		return ""
	}
	return fmt.Sprintf("item %q: ", name)
}
