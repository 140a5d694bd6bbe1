package item

import (
	"slices"

	"github.com/fieldlink/fieldlink"
)

// MaxCacheSeconds is the longest time an item's result may be reused: one
// day.
const MaxCacheSeconds = 24 * 60 * 60

// Validate checks an item when it is saved, so a template error reaches the
// admin before a ticket needs the item. It fails with a *fieldlink.Error of
// code EInvalid whose message names the field: request.method, request.path,
// request.headers.<name>, request.body, root (with the JSONPath error's
// position), template, labelTemplate, type, cacheSeconds, maxRows or
// paging.<field>. A reference to another item must name it with a string
// literal, and an item cannot depend on itself; ValidateAll checks the
// references between items.
func Validate(it fieldlink.Item) error {
	switch it.Type {
	case fieldlink.ItemReadOnly, fieldlink.ItemSelect, fieldlink.ItemMultiSelect:
	case "":
		return fieldlink.Errorf(fieldlink.EInvalid, "type is required; use %s, %s or %s",
			fieldlink.ItemReadOnly, fieldlink.ItemSelect, fieldlink.ItemMultiSelect)
	default:
		return fieldlink.Errorf(fieldlink.EInvalid, "type %q is not supported; use %s, %s or %s",
			it.Type, fieldlink.ItemReadOnly, fieldlink.ItemSelect, fieldlink.ItemMultiSelect)
	}

	c, err := compileItem(it)
	if err != nil {
		return err
	}

	if c.display.usesRow && c.display.usesData {
		return fieldlink.Errorf(fieldlink.EInvalid, "template %q reads both row and data; use row to show each row, or data to show the whole response once", it.Template)
	}
	if c.isSelect() && c.display.usesData {
		return fieldlink.Errorf(fieldlink.EInvalid, "template %q reads data, but a %s item renders one option per row; use row instead", it.Template, it.Type)
	}
	if c.label != nil {
		if !c.isSelect() {
			return fieldlink.Errorf(fieldlink.EInvalid, "labelTemplate is only used by select and multi-select items; clear it or change the type")
		}
		if c.label.usesData {
			return fieldlink.Errorf(fieldlink.EInvalid, "labelTemplate %q reads data, but labels are rendered once per row; use row instead", it.LabelTemplate)
		}
	}

	dependencies, err := Dependencies(it)
	if err != nil {
		return err
	}
	if slices.Contains(dependencies, it.Name) {
		return fieldlink.Errorf(fieldlink.EInvalid, "item %q reads its own result through items[%q]; an item can read only other items", it.Name, it.Name)
	}

	if it.CacheSeconds < 0 || it.CacheSeconds > MaxCacheSeconds {
		return fieldlink.Errorf(fieldlink.EInvalid, "cacheSeconds %d is out of range; use 0 (no caching) to %d", it.CacheSeconds, MaxCacheSeconds)
	}
	if it.MaxRows < 0 || it.MaxRows > MaxRowsLimit {
		return fieldlink.Errorf(fieldlink.EInvalid, "maxRows %d is out of range; use 0 (the default of %d) to %d", it.MaxRows, fieldlink.DefaultMaxRows, MaxRowsLimit)
	}
	return nil
}

// ValidateAll validates each item and then the references between them, as
// Order does: every referenced item must exist, no two items may share a
// name, and the references must not form a cycle. Messages of errors about
// one item start with its name.
func ValidateAll(items []fieldlink.Item) error {
	for _, it := range items {
		if err := Validate(it); err != nil {
			return fieldlink.Errorf(fieldlink.EInvalid, "item %q: %s", it.Name, fieldlink.ErrorMessage(err))
		}
	}

	_, err := Order(items)
	return err
}
