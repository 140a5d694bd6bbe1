package item

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/fieldlink/fieldlink"
)

// Resolver finds items by name and datasources by ID for
// EvaluateWithDependencies.
type Resolver interface {
	// ItemByName returns the item with the name, or an ENotFound error.
	ItemByName(ctx context.Context, name string) (fieldlink.Item, error)
	// Datasource returns the datasource with the ID, or an ENotFound error.
	Datasource(ctx context.Context, id string) (fieldlink.Datasource, error)
}

// EvaluateWithDependencies evaluates it after the items it depends on
// (transitively), passing their results in tc.Items. Each dependency is
// evaluated once, and one whose result tc.Items already has is not
// evaluated again. A dependency that fails with *MissingValueError has no
// value, so an item reading it fails the same way unless it gives a
// default. Any other failure of a dependency fails the evaluation.
//
// tc.UserInput narrows only the options of it, not those of a select item
// it depends on, because the agent is typing into it.
func (e *Engine) EvaluateWithDependencies(ctx context.Context, it fieldlink.Item, r Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	closure, err := dependencyClosure(ctx, it, r, tc.Items)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}
	ordered, err := orderItems(closure, tc.Items)
	if err != nil {
		return fieldlink.ItemResult{}, err
	}

	results := maps.Clone(tc.Items)
	if results == nil {
		results = map[string]fieldlink.ItemResult{}
	}
	// causes keeps why a dependency had no value, so the item that needed
	// it can name the value that was really missing.
	causes := map[string]*MissingValueError{}

	for _, item := range ordered {
		ds, err := r.Datasource(ctx, item.DatasourceID)
		if err != nil {
			return fieldlink.ItemResult{}, fmt.Errorf("find datasource %q of item %q: %w", item.DatasourceID, item.Name, err)
		}

		itemContext := tc
		itemContext.Items = results
		isTarget := item.Name == it.Name
		result, err := e.evaluate(ctx, item, ds, itemContext, isTarget)

		var missing *MissingValueError
		if errors.As(err, &missing) {
			missing = rootCause(missing, causes)
		}
		switch {
		case isTarget && missing != nil:
			return result, missing
		case isTarget:
			return result, err
		case missing != nil:
			// The dependency has no value, so items that read it fall back
			// on their defaults or fail.
			causes[item.Name] = &MissingValueError{Expr: missing.Expr, Via: append(slices.Clone(missing.Via), item.Name)}
			continue
		case err != nil:
			return fieldlink.ItemResult{}, fmt.Errorf("evaluate item %q, which item %q depends on: %w", item.Name, it.Name, err)
		}
		results[item.Name] = result
	}
	return fieldlink.ItemResult{}, fmt.Errorf("item %q was not evaluated", it.Name)
}

// rootCause returns the missing value behind missing: when missing is a
// dependency reference items["X"] and X had no value for a reason recorded
// in causes, that reason, else missing itself.
func rootCause(missing *MissingValueError, causes map[string]*MissingValueError) *MissingValueError {
	for name, cause := range causes {
		if missing.Expr == fmt.Sprintf("items[%q]", name) || missing.Expr == fmt.Sprintf("itemValues[%q]", name) {
			return cause
		}
	}
	return missing
}

// dependencyClosure returns it and every item it depends on, directly or
// through others, except those whose results are in known.
func dependencyClosure(ctx context.Context, it fieldlink.Item, r Resolver, known map[string]fieldlink.ItemResult) ([]fieldlink.Item, error) {
	closure := []fieldlink.Item{it}
	found := map[string]bool{it.Name: true}

	for i := 0; i < len(closure); i++ {
		names, err := Dependencies(closure[i])
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "item %q: %s", closure[i].Name, fieldlink.ErrorMessage(err))
		}

		for _, name := range names {
			if found[name] {
				continue
			}
			if _, ok := known[name]; ok {
				continue
			}

			dependency, err := r.ItemByName(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("find item %q, which item %q depends on: %w", name, closure[i].Name, err)
			}
			found[name] = true
			closure = append(closure, dependency)
		}
	}
	return closure, nil
}
