package item

import (
	"reflect"

	"github.com/maypok86/otter/v2"

	"github.com/fieldlink/fieldlink"
)

// maxCompiledItems bounds the compiled items an Engine keeps. A server holds
// one per saved item it evaluated, so the bound only matters when items are
// created and deleted without end.
const maxCompiledItems = 10_000

// compiledCache contains compiled items by item ID.
type compiledCache = otter.Cache[string, *compiledItem]

func newCompiledCache(clock cacheClock) *compiledCache {
	return otter.Must(&otter.Options[string, *compiledItem]{
		MaximumSize: maxCompiledItems,
		Clock:       clock,
	})
}

// compile returns the compiled form of it. It reuses the form compiled for
// the same item ID while every field of the item is unchanged, because
// compiling the templates costs more than the rest of an evaluation outside
// the request. An item without an ID, such as a draft, is compiled each
// time.
func (e *Engine) compile(it fieldlink.Item) (*compiledItem, error) {
	if it.ID == "" {
		return compileItem(it)
	}
	if c, ok := e.compiled.GetIfPresent(it.ID); ok && reflect.DeepEqual(c.item, it) {
		return c, nil
	}

	c, err := compileItem(it)
	if err != nil {
		return nil, err
	}
	e.compiled.Set(it.ID, c)
	return c, nil
}
