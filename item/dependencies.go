package item

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// Dependencies returns the names of the items it refers to through
// items["X"] or itemValues["X"] in its request, headers, body and
// templates, sorted and unique. A template that does not parse, or that
// names an item other than by a string literal, fails with a
// *fieldlink.Error naming the field.
func Dependencies(it fieldlink.Item) ([]string, error) {
	type source struct {
		field string
		text  string
	}
	sources := []source{
		{"request.path", it.Request.Path},
		{"request.body", it.Request.Body},
		{"template", it.Template},
		{"labelTemplate", it.LabelTemplate},
	}
	for _, name := range slices.Sorted(maps.Keys(it.Request.Headers)) {
		sources = append(sources, source{"request.headers." + name, it.Request.Headers[name]})
	}

	names := map[string]bool{}
	for _, s := range sources {
		parts, err := splitTemplate(s.text)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s: %v", s.field, err)
		}
		for _, p := range parts {
			if !p.isExpr {
				continue
			}
			refs, err := findReferences(p.expr)
			if err != nil {
				return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s: placeholder at position %d: %v", s.field, p.offset+1, err)
			}
			for _, ref := range refs.items {
				names[ref.name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(names)), nil
}

// Order returns items so that each comes after those it depends on, keeping
// the given order where dependencies allow. A cycle or a dependency on a
// name that is not among items is a *fieldlink.Error (EInvalid) naming it,
// for example `item dependency cycle: "A" → "B" → "A"`.
func Order(items []fieldlink.Item) ([]fieldlink.Item, error) {
	return orderItems(items, nil)
}

// orderItems is Order where the names in known are results the caller
// already has, so depending on them is allowed.
func orderItems(items []fieldlink.Item, known map[string]fieldlink.ItemResult) ([]fieldlink.Item, error) {
	byName := make(map[string]int, len(items))
	deps := make([][]string, len(items))
	for i, it := range items {
		if _, dup := byName[it.Name]; dup {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "two items are named %q; give each item its own name", it.Name)
		}
		byName[it.Name] = i

		names, err := Dependencies(it)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "item %q: %s", it.Name, fieldlink.ErrorMessage(err))
		}
		deps[i] = names
	}

	for i, it := range items {
		for _, name := range deps[i] {
			_, isItem := byName[name]
			_, isKnown := known[name]
			if !isItem && !isKnown {
				return nil, fieldlink.Errorf(fieldlink.EInvalid, "item %q depends on %q, which is not an item; create that item or correct the name in items[…]", it.Name, name)
			}
		}
	}

	// A depth-first walk in the given order places each item after its
	// dependencies. The stack of items being visited shows a cycle's path.
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]int, len(items))
	ordered := make([]fieldlink.Item, 0, len(items))
	var stack []int

	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			return cycleError(items, stack, i)
		}

		state[i] = visiting
		stack = append(stack, i)
		for _, name := range deps[i] {
			j, isItem := byName[name]
			if !isItem {
				continue
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		ordered = append(ordered, items[i])
		return nil
	}

	for i := range items {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return ordered, nil
}

// cycleError names the items of the cycle that closes at items[again].
func cycleError(items []fieldlink.Item, stack []int, again int) error {
	start := slices.Index(stack, again)
	var names []string
	for _, i := range stack[start:] {
		names = append(names, strconv.Quote(items[i].Name))
	}
	names = append(names, strconv.Quote(items[again].Name))
	return fieldlink.Errorf(fieldlink.EInvalid, "item dependency cycle: %s; remove one of these references to another item", strings.Join(names, " → "))
}
