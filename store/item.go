package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.ItemStore = (*DB)(nil)

// requestColumn is the JSON of the request column.
type requestColumn struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// pagingColumn is the JSON of the paging column.
type pagingColumn struct {
	Mode        string `json:"mode,omitempty"`
	CursorPath  string `json:"cursorPath,omitempty"`
	CursorParam string `json:"cursorParam,omitempty"`
	OffsetParam string `json:"offsetParam,omitempty"`
	LimitParam  string `json:"limitParam,omitempty"`
	PageSize    int    `json:"pageSize,omitempty"`
}

const itemColumns = `id, name, datasource_id, type, request, root, template, cache_seconds,
	label_template, max_rows, paging, lookup_token_hash`

// CreateItem stores it, assigning its ID. Its datasource must exist.
// LookupTokenHash is stored as given.
func (db *DB) CreateItem(ctx context.Context, it *fieldlink.Item) error {
	if err := checkName("item", it.Name); err != nil {
		return err
	}

	row := *it
	row.ID = newID(itemPrefix)

	values, err := itemValues(&row)
	if err != nil {
		return err
	}

	query := `INSERT INTO items (` + itemColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := db.db.ExecContext(ctx, query, values...); err != nil {
		return itemWriteError(err, it)
	}

	*it = row
	return nil
}

// FindItem returns the item with the ID, or an ENotFound error.
func (db *DB) FindItem(ctx context.Context, id string) (fieldlink.Item, error) {
	return cachedRead(db.config, "item", id, cloneItem, func() (fieldlink.Item, error) {
		query := `SELECT ` + itemColumns + ` FROM items WHERE id = ?`
		it, err := scanItem(db.db.QueryRowContext(ctx, query, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fieldlink.Item{}, notFound("item", id)
		}
		if err != nil {
			return fieldlink.Item{}, fmt.Errorf("find item %s: %w", id, err)
		}
		return it, nil
	})
}

// FindItemByName returns the item named name, compared case-sensitively as
// templates and rule conditions refer to items, or an ENotFound error.
func (db *DB) FindItemByName(ctx context.Context, name string) (fieldlink.Item, error) {
	return cachedRead(db.config, "item name", name, cloneItem, func() (fieldlink.Item, error) {
		query := `SELECT ` + itemColumns + ` FROM items WHERE name = ? ` + db.d.binaryCollation
		it, err := scanItem(db.db.QueryRowContext(ctx, query, name))
		if errors.Is(err, sql.ErrNoRows) {
			return fieldlink.Item{}, fieldlink.Errorf(fieldlink.ENotFound, "no item is named %q: item names are case-sensitive", name)
		}
		if err != nil {
			return fieldlink.Item{}, fmt.Errorf("find item named %q: %w", name, err)
		}
		return it, nil
	})
}

// ListItems returns all items ordered by name, ignoring the case of ASCII
// letters.
func (db *DB) ListItems(ctx context.Context) ([]fieldlink.Item, error) {
	return cachedRead(db.config, "items", "", cloneItems, func() ([]fieldlink.Item, error) {
		query := `SELECT ` + itemColumns + ` FROM items ORDER BY ` + db.d.nameOrder + `, id`
		return queryList(ctx, db.db, "list items", scanItem, query)
	})
}

// UpdateItem replaces the stored item with it.ID, except its lookup token
// hash, which only SetItemLookupTokenHash changes. Saving an item read
// before a rotation therefore cannot bring back the old token.
// it.LookupTokenHash is set to the stored value.
func (db *DB) UpdateItem(ctx context.Context, it *fieldlink.Item) error {
	// The UPDATE returns a row, so it commits only once Scan has read it.
	defer db.configChanged()
	if err := checkName("item", it.Name); err != nil {
		return err
	}

	values, err := itemValues(it)
	if err != nil {
		return err
	}

	query := `UPDATE items SET name = ?, datasource_id = ?, type = ?, request = ?, root = ?,
		template = ?, cache_seconds = ?, label_template = ?, max_rows = ?, paging = ?
		WHERE id = ? RETURNING lookup_token_hash`
	args := append(slices.Clone(values[1:len(values)-1]), values[0])
	err = db.db.QueryRowContext(ctx, query, args...).Scan(&it.LookupTokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("item", it.ID)
	}
	if err != nil {
		return itemWriteError(err, it)
	}
	return nil
}

// SetItemLookupTokenHash stores hash, the hex SHA-256 of the item's new
// lookup token, or removes the token when hash is empty.
func (db *DB) SetItemLookupTokenHash(ctx context.Context, id, hash string) error {
	result, err := db.db.ExecContext(ctx, `UPDATE items SET lookup_token_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("set lookup token of item %s: %w", id, err)
	}
	return requireOneRow(result, "item", id)
}

// DeleteItem removes the item with the ID.
func (db *DB) DeleteItem(ctx context.Context, id string) error {
	result, err := db.db.ExecContext(ctx, `DELETE FROM items WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete item %s: %w", id, err)
	}
	return requireOneRow(result, "item", id)
}

// itemWriteError turns a constraint violation on insert or update into an
// error the admin can act on.
func itemWriteError(err error, it *fieldlink.Item) error {
	if isUniqueViolation(err) {
		return nameTaken("item", it.Name)
	}
	if isForeignKeyViolation(err) {
		return fieldlink.Errorf(fieldlink.EInvalid, "item %q: datasource %q not found: choose an existing datasource", it.Name, it.DatasourceID)
	}
	return fmt.Errorf("write item %q: %w", it.Name, err)
}

func itemValues(it *fieldlink.Item) ([]any, error) {
	request, err := marshalJSON(requestColumn{
		Method:  it.Request.Method,
		Path:    it.Request.Path,
		Headers: it.Request.Headers,
		Body:    it.Request.Body,
	})
	if err != nil {
		return nil, fmt.Errorf("encode item %q request: %w", it.Name, err)
	}

	paging, err := marshalJSON(pagingColumn{
		Mode:        string(it.Paging.Mode),
		CursorPath:  it.Paging.CursorPath,
		CursorParam: it.Paging.CursorParam,
		OffsetParam: it.Paging.OffsetParam,
		LimitParam:  it.Paging.LimitParam,
		PageSize:    it.Paging.PageSize,
	})
	if err != nil {
		return nil, fmt.Errorf("encode item %q paging: %w", it.Name, err)
	}

	// The order is itemColumns'. UpdateItem relies on the ID coming first
	// and the lookup token hash last.
	return []any{
		it.ID, it.Name, it.DatasourceID, string(it.Type), request, it.Root, it.Template, it.CacheSeconds,
		it.LabelTemplate, it.MaxRows, paging, it.LookupTokenHash,
	}, nil
}

func scanItem(row scanner) (fieldlink.Item, error) {
	var (
		it       fieldlink.Item
		itemType string
		request  string
		paging   string
	)
	err := row.Scan(&it.ID, &it.Name, &it.DatasourceID, &itemType, &request, &it.Root, &it.Template, &it.CacheSeconds,
		&it.LabelTemplate, &it.MaxRows, &paging, &it.LookupTokenHash)
	if err != nil {
		return fieldlink.Item{}, err
	}
	it.Type = fieldlink.ItemType(itemType)

	var r requestColumn
	if err := json.Unmarshal([]byte(request), &r); err != nil {
		return fieldlink.Item{}, fmt.Errorf("decode item %s request: %w", it.ID, err)
	}
	it.Request = fieldlink.ItemRequest{
		Method:  r.Method,
		Path:    r.Path,
		Headers: nilIfEmptyMap(r.Headers),
		Body:    r.Body,
	}

	var p pagingColumn
	if err := json.Unmarshal([]byte(paging), &p); err != nil {
		return fieldlink.Item{}, fmt.Errorf("decode item %s paging: %w", it.ID, err)
	}
	it.Paging = fieldlink.Paging{
		Mode:        fieldlink.PagingMode(p.Mode),
		CursorPath:  p.CursorPath,
		CursorParam: p.CursorParam,
		OffsetParam: p.OffsetParam,
		LimitParam:  p.LimitParam,
		PageSize:    p.PageSize,
	}
	return it, nil
}

// requireOneRow returns ENotFound when an UPDATE or DELETE by ID matched no
// row.
func requireOneRow(result sql.Result, kind, id string) error {
	n, err := result.RowsAffected()
	if err != nil {
		return fmt.Errorf("write %s %s: %w", kind, id, err)
	}
	if n == 0 {
		return notFound(kind, id)
	}
	return nil
}
