package sqlite

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
	db, _ := openTestDB(t)
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
}

func TestItemNotFound(t *testing.T) {
	db, _ := openTestDB(t)
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
}

func TestItemNameConflict(t *testing.T) {
	db, _ := openTestDB(t)
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
}

func TestItemUnknownDatasource(t *testing.T) {
	db, _ := openTestDB(t)
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
}

func TestItemConcurrentCreates(t *testing.T) {
	db, _ := openTestDB(t)
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
}
