package store

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func officeItem(datasourceID string) fieldlink.Item {
	return fieldlink.Item{
		Name:         "Reporter office",
		DatasourceID: datasourceID,
		Type:         fieldlink.ItemSelect,
		Request: fieldlink.ItemRequest{
			Method:  "GET",
			Path:    "/users/${reporter.emailAddress}?$select=officeLocation",
			Headers: map[string]string{"Accept": "application/json"},
		},
		Root:         "$.value[*]",
		Template:     "${row.officeLocation}",
		CacheSeconds: 300,
	}
}

func TestItemRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		it := officeItem(ds.ID)
		it.Request.Method = "POST"
		it.Request.Body = `{"mail":"${reporter.emailAddress}"}`
		if err := db.CreateItem(ctx, &it); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}
		if !strings.HasPrefix(it.ID, "it_") {
			t.Errorf("ID = %q, want prefix it_", it.ID)
		}

		got, err := db.FindItem(ctx, it.ID)
		if err != nil {
			t.Fatalf("FindItem: %v", err)
		}
		if diff := cmp.Diff(it, got); diff != "" {
			t.Errorf("FindItem (-want +got):\n%s", diff)
		}

		it.Name = "Office"
		it.Type = fieldlink.ItemMultiSelect
		it.Request = fieldlink.ItemRequest{Method: "GET", Path: "/me"}
		it.Root = ""
		it.CacheSeconds = 0
		if err := db.UpdateItem(ctx, &it); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}

		list, err := db.ListItems(ctx)
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		if diff := cmp.Diff([]fieldlink.Item{it}, list); diff != "" {
			t.Errorf("ListItems after update (-want +got):\n%s", diff)
		}

		if err := db.DeleteItem(ctx, it.ID); err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
		_, err = db.FindItem(ctx, it.ID)
		wantError(t, err, fieldlink.ENotFound, `item "`+it.ID+`" not found`)
	})
}

func TestItemNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		_, err := db.FindItem(ctx, "it_missing")
		wantError(t, err, fieldlink.ENotFound, `item "it_missing" not found`)

		it := officeItem(ds.ID)
		it.ID = "it_missing"
		err = db.UpdateItem(ctx, &it)
		wantError(t, err, fieldlink.ENotFound, `item "it_missing" not found`)

		err = db.DeleteItem(ctx, "it_missing")
		wantError(t, err, fieldlink.ENotFound, `item "it_missing" not found`)
	})
}

func TestItemNameConflict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		first := officeItem(ds.ID)
		if err := db.CreateItem(ctx, &first); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}

		second := officeItem(ds.ID)
		err := db.CreateItem(ctx, &second)
		wantError(t, err, fieldlink.EConflict, `an item named "Reporter office" already exists`)

		third := officeItem(ds.ID)
		third.Name = "Manager"
		if err := db.CreateItem(ctx, &third); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}
		third.Name = "REPORTER OFFICE"
		err = db.UpdateItem(ctx, &third)
		wantError(t, err, fieldlink.EConflict, `an item named "REPORTER OFFICE" already exists`)
	})
}

func TestItemUnknownDatasource(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		it := officeItem("ds_missing")
		err := db.CreateItem(ctx, &it)
		wantError(t, err, fieldlink.EInvalid, `datasource "ds_missing" not found`)

		list, err := db.ListItems(ctx)
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		if len(list) != 0 {
			t.Errorf("ListItems = %v, want none after a rejected create", list)
		}
	})
}

func TestItemConcurrentCreates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		const writers = 20
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				it := officeItem(ds.ID)
				it.Name = "Item " + string(rune('A'+i))
				errs[i] = db.CreateItem(ctx, &it)
			})
		}
		wg.Wait()

		for i, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}

		list, err := db.ListItems(ctx)
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		if len(list) != writers {
			t.Errorf("ListItems returned %d items, want %d", len(list), writers)
		}
	})
}

func TestItemPagingFieldsRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "CMDB")

		it := officeItem(ds.ID)
		it.LabelTemplate = "${row.displayName} (${row.officeLocation})"
		it.MaxRows = 250
		it.Paging = fieldlink.Paging{
			Mode:        fieldlink.PagingCursor,
			CursorPath:  "$.meta.next",
			CursorParam: "after",
			OffsetParam: "start",
			LimitParam:  "limit",
			PageSize:    50,
		}
		it.LookupTokenHash = strings.Repeat("ab", 32)
		if err := db.CreateItem(ctx, &it); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}

		got, err := db.FindItem(ctx, it.ID)
		if err != nil {
			t.Fatalf("FindItem: %v", err)
		}
		if diff := cmp.Diff(it, got); diff != "" {
			t.Errorf("FindItem (-want +got):\n%s", diff)
		}

		it.LabelTemplate = ""
		it.MaxRows = 0
		it.Paging = fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "$skip", LimitParam: "$top", PageSize: 100}
		if err := db.UpdateItem(ctx, &it); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		list, err := db.ListItems(ctx)
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		if diff := cmp.Diff([]fieldlink.Item{it}, list); diff != "" {
			t.Errorf("ListItems after update (-want +got):\n%s", diff)
		}
	})
}

func TestItemUpdateKeepsLookupToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		it := officeItem(ds.ID)
		if err := db.CreateItem(ctx, &it); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}
		hash := strings.Repeat("0f", 32)
		if err := db.SetItemLookupTokenHash(ctx, it.ID, hash); err != nil {
			t.Fatalf("SetItemLookupTokenHash: %v", err)
		}

		// An update built from an older read carries no hash, and must not
		// remove the token.
		stale := it
		stale.LookupTokenHash = ""
		stale.Template = "${row.city}"
		if err := db.UpdateItem(ctx, &stale); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		if stale.LookupTokenHash != hash {
			t.Errorf("UpdateItem set LookupTokenHash = %q, want the stored %q", stale.LookupTokenHash, hash)
		}
		got, err := db.FindItem(ctx, it.ID)
		if err != nil {
			t.Fatalf("FindItem: %v", err)
		}
		if got.LookupTokenHash != hash {
			t.Errorf("stored LookupTokenHash = %q, want %q", got.LookupTokenHash, hash)
		}
		if got.Template != "${row.city}" {
			t.Errorf("stored Template = %q, want the updated one", got.Template)
		}

		if err := db.SetItemLookupTokenHash(ctx, it.ID, ""); err != nil {
			t.Fatalf("SetItemLookupTokenHash to empty: %v", err)
		}
		got, err = db.FindItem(ctx, it.ID)
		if err != nil {
			t.Fatalf("FindItem: %v", err)
		}
		if got.LookupTokenHash != "" {
			t.Errorf("LookupTokenHash = %q after removal, want empty", got.LookupTokenHash)
		}

		err = db.SetItemLookupTokenHash(ctx, "it_missing", hash)
		wantError(t, err, fieldlink.ENotFound, `item "it_missing" not found`)
	})
}

func TestFindItemByName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ds := createTestDatasource(t, db, "Graph")

		it := officeItem(ds.ID)
		if err := db.CreateItem(ctx, &it); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}

		got, err := db.FindItemByName(ctx, "Reporter office")
		if err != nil {
			t.Fatalf("FindItemByName: %v", err)
		}
		if diff := cmp.Diff(it, got); diff != "" {
			t.Errorf("FindItemByName (-want +got):\n%s", diff)
		}

		_, err = db.FindItemByName(ctx, "reporter office")
		wantError(t, err, fieldlink.ENotFound, `no item is named "reporter office"`, "case-sensitive")
	})
}
