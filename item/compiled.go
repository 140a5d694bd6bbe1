package item

import (
	"maps"

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
	if c, ok := e.compiled.GetIfPresent(it.ID); ok && sameItem(c.item, it) {
		return c, nil
	}

	c, err := compileItem(it)
	if err != nil {
		return nil, err
	}
	e.compiled.Set(it.ID, c)
	return c, nil
}

// sameItem reports whether a and b are equal in every field. It compares
// the fields one by one, because reflect.DeepEqual allocates and this runs
// on every evaluation. A test checks that it covers every field.
func sameItem(a, b fieldlink.Item) bool {
	return a.ID == b.ID &&
		a.Name == b.Name &&
		a.DatasourceID == b.DatasourceID &&
		a.Type == b.Type &&
		a.Request.Method == b.Request.Method &&
		a.Request.Path == b.Request.Path &&
		maps.Equal(a.Request.Headers, b.Request.Headers) &&
		a.Request.Body == b.Request.Body &&
		a.Root == b.Root &&
		a.Template == b.Template &&
		a.LabelTemplate == b.LabelTemplate &&
		a.CacheSeconds == b.CacheSeconds &&
		a.MaxRows == b.MaxRows &&
		a.Paging == b.Paging &&
		a.LookupTokenHash == b.LookupTokenHash
}
