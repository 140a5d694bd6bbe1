package item

import (
	"github.com/fieldlink/fieldlink"
)

// MaxCacheSeconds is the longest time an item's result may be reused: one
// day.
const MaxCacheSeconds = 24 * 60 * 60

// Validate checks an item when it is saved, so a template error reaches the
// admin before a ticket needs the item. It fails with a *fieldlink.Error of
// code EInvalid whose message names the field: request.method, request.path,
// request.headers.<name>, request.body, root (with the JSONPath error's
// position), template, type or cacheSeconds.
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

	if _, err := compileRequest(it.Request); err != nil {
		return err
	}
	if _, err := compileRoot(it.Root); err != nil {
		return err
	}
	if _, err := compileDisplay(it.Template); err != nil {
		return err
	}

	if it.CacheSeconds < 0 || it.CacheSeconds > MaxCacheSeconds {
		return fieldlink.Errorf(fieldlink.EInvalid, "cacheSeconds %d is out of range; use 0 (no caching) to %d", it.CacheSeconds, MaxCacheSeconds)
	}
	return nil
}
