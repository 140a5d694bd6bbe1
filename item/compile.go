package item

import (
	"strconv"

	"github.com/theory/jsonpath"

	"github.com/fieldlink/fieldlink"
)

// compiledItem is an item with its templates, root and paging settings
// compiled.
type compiledItem struct {
	item    fieldlink.Item
	request *requestTemplate
	root    *jsonpath.Path
	display *displayTemplate
	// label is nil when the item has no label template.
	label   *displayTemplate
	paging  pagingPlan
	maxRows int
	// cacheSettings is the result of settings, computed once because it
	// goes into the cache key of every evaluation.
	cacheSettings []string
}

// compileItem compiles everything an evaluation needs. Errors are
// *fieldlink.Error values that name the field.
func compileItem(it fieldlink.Item) (*compiledItem, error) {
	c := &compiledItem{item: it, maxRows: it.MaxRows}
	if c.maxRows <= 0 {
		c.maxRows = fieldlink.DefaultMaxRows
	}

	var err error
	if c.request, err = compileRequest(it.Request); err != nil {
		return nil, err
	}
	if c.root, err = compileRoot(it.Root); err != nil {
		return nil, err
	}
	if c.display, err = compileDisplay(it.Template); err != nil {
		return nil, err
	}
	if it.LabelTemplate != "" {
		if c.label, err = compileDisplayField("labelTemplate", it.LabelTemplate); err != nil {
			return nil, err
		}
	}
	if c.paging, err = compilePaging(it.Paging); err != nil {
		return nil, err
	}
	c.cacheSettings = c.settings()
	return c, nil
}

// isSelect reports whether the item offers options to choose from.
func (c *compiledItem) isSelect() bool {
	return c.item.Type == fieldlink.ItemSelect || c.item.Type == fieldlink.ItemMultiSelect
}

// wholeResponse reports whether the display template is rendered once over
// the whole response. Such an item fetches only the first page, because the
// template reads one response.
func (c *compiledItem) wholeResponse() bool {
	return !c.isSelect() && c.display.wholeResponse()
}

// settings returns the item's settings that decide which pages and rows a
// first request yields, for the cache key.
func (c *compiledItem) settings() []string {
	p := c.item.Paging
	return []string{
		c.item.Root,
		string(c.paging.mode), p.CursorPath, c.paging.cursorParam, c.paging.offsetParam, c.paging.limitParam, strconv.Itoa(c.paging.pageSize),
		strconv.Itoa(c.maxRows),
		strconv.FormatBool(c.wholeResponse()),
	}
}

// render returns the first page's request for env, after checking that
// every item the templates read has a value (or a default).
func (c *compiledItem) render(env map[string]any) (fieldlink.UpstreamRequest, error) {
	req, err := c.request.render(env)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}

	if err := c.display.checkDependencies(env); err != nil {
		return fieldlink.UpstreamRequest{}, err
	}
	if c.label != nil {
		if err := c.label.checkDependencies(env); err != nil {
			return fieldlink.UpstreamRequest{}, err
		}
	}
	return c.paging.firstRequest(req), nil
}
