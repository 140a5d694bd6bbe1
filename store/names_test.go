package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

// sortedNames are names in the order that every list by name returns
// them on both databases: byte order after folding the ASCII letters A to
// Z to lower case. Other letters keep their case, so "Ärger" and "ärger"
// are two names, and "Ärger" sorts after every ASCII name.
var sortedNames = []string{
	"10",
	"9",
	"[brackets]",
	"_underscore",
	"Alpha",
	"beta",
	"eclair",
	"Item 10",
	"item 2",
	"Item 9",
	"zeta",
	"Zoë",
	"ZULU",
	"Ärger",
	"Éclair",
	"ärger",
	"éclair",
}

// shuffledNames are sortedNames in the order the tests create them.
var shuffledNames = []string{
	"Item 9", "ärger", "zeta", "_underscore", "Éclair", "10", "beta", "ZULU", "item 2",
	"[brackets]", "Ärger", "Alpha", "éclair", "9", "Zoë", "Item 10", "eclair",
}

// takenNames differ from a name of sortedNames only in the case of ASCII
// letters, so each is rejected as taken.
var takenNames = []string{"ALPHA", "alpha", "BETA", "item 10", "ITEM 2", "Zeta", "zulu", "ZOë", "ärgER", "ÉCLAIR", "_UNDERSCORE"}

// nameStore creates and lists one kind of named record, so that the name
// tests run the same checks on datasources, items and hooks.
type nameStore struct {
	kind   string
	create func(ctx context.Context, db *DB, name string) error
	list   func(ctx context.Context, db *DB) ([]string, error)
}

func nameStores(t *testing.T, db *DB) []nameStore {
	t.Helper()

	jira := createTestDatasource(t, db, "Named records' datasource")
	return []nameStore{
		{
			kind: "datasource",
			create: func(ctx context.Context, db *DB, name string) error {
				ds := fieldlink.Datasource{Name: name, BaseURL: "http://127.0.0.1:1"}
				return db.CreateDatasource(ctx, &ds)
			},
			list: func(ctx context.Context, db *DB) ([]string, error) {
				list, err := db.ListDatasources(ctx)
				var names []string
				for _, ds := range list {
					if ds.ID != jira.ID {
						names = append(names, ds.Name)
					}
				}
				return names, err
			},
		},
		{
			kind: "item",
			create: func(ctx context.Context, db *DB, name string) error {
				it := fieldlink.Item{Name: name, DatasourceID: jira.ID, Type: fieldlink.ItemReadOnly}
				return db.CreateItem(ctx, &it)
			},
			list: func(ctx context.Context, db *DB) ([]string, error) {
				list, err := db.ListItems(ctx)
				var names []string
				for _, it := range list {
					names = append(names, it.Name)
				}
				return names, err
			},
		},
		{
			kind: "hook",
			create: func(ctx context.Context, db *DB, name string) error {
				h := fieldlink.Hook{Name: name, JiraDatasourceID: jira.ID}
				return db.CreateHook(ctx, &h)
			},
			list: func(ctx context.Context, db *DB) ([]string, error) {
				list, err := db.ListHooks(ctx)
				var names []string
				for _, h := range list {
					names = append(names, h.Name)
				}
				return names, err
			},
		},
	}
}

func TestNamesListedInSameOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		for _, s := range nameStores(t, db) {
			for _, name := range shuffledNames {
				if err := s.create(ctx, db, name); err != nil {
					t.Fatalf("create %s %q: %v", s.kind, name, err)
				}
			}

			got, err := s.list(ctx, db)
			if err != nil {
				t.Fatalf("list %ss: %v", s.kind, err)
			}
			if diff := cmp.Diff(sortedNames, got); diff != "" {
				t.Errorf("%s names (-want +got):\n%s", s.kind, diff)
			}
		}
	})
}

func TestNamesUniqueIgnoringASCIICase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		for _, s := range nameStores(t, db) {
			for _, name := range shuffledNames {
				if err := s.create(ctx, db, name); err != nil {
					t.Fatalf("create %s %q: %v", s.kind, name, err)
				}
			}

			for _, name := range takenNames {
				err := s.create(ctx, db, name)
				wantError(t, err, fieldlink.EConflict, s.kind+` named "`+name+`" already exists`)
			}

			got, err := s.list(ctx, db)
			if err != nil {
				t.Fatalf("list %ss: %v", s.kind, err)
			}
			if len(got) != len(sortedNames) {
				t.Errorf("%d %ss after the rejected creates, want %d", len(got), s.kind, len(sortedNames))
			}
		}
	})
}

// TestNamesRenameToCaseVariant renames records to names that differ only in
// case from their own or another record's name.
func TestNamesRenameToCaseVariant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		graph := createTestDatasource(t, db, "Graph")
		cmdb := createTestDatasource(t, db, "CMDB")

		// A record may change the case of its own name.
		graph.Name = "GRAPH"
		if err := db.UpdateDatasource(ctx, &graph); err != nil {
			t.Fatalf("rename Graph to GRAPH: %v", err)
		}
		cmdb.Name = "graph"
		wantError(t, db.UpdateDatasource(ctx, &cmdb), fieldlink.EConflict, `a datasource named "graph" already exists`)

		it := fieldlink.Item{Name: "Office", DatasourceID: graph.ID, Type: fieldlink.ItemReadOnly}
		if err := db.CreateItem(ctx, &it); err != nil {
			t.Fatalf("CreateItem: %v", err)
		}
		it.Name = "office"
		if err := db.UpdateItem(ctx, &it); err != nil {
			t.Fatalf("rename Office to office: %v", err)
		}

		// The case-sensitive lookup follows the rename.
		if _, err := db.FindItemByName(ctx, "office"); err != nil {
			t.Errorf("FindItemByName office: %v", err)
		}
		_, err := db.FindItemByName(ctx, "Office")
		wantError(t, err, fieldlink.ENotFound, `no item is named "Office"`)
	})
}

// TestDatasourceUsersListedInNameOrder checks the order of the records
// named in the error of a rejected delete.
func TestDatasourceUsersListedInNameOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := createTestDatasource(t, db, "Jira")
		for _, name := range []string{"office", "Manager", "Ärger", "alpha", "Zone"} {
			it := fieldlink.Item{Name: name, DatasourceID: ds.ID, Type: fieldlink.ItemReadOnly}
			if err := db.CreateItem(ctx, &it); err != nil {
				t.Fatalf("CreateItem %q: %v", name, err)
			}
		}
		for _, name := range []string{"service desk", "Intake"} {
			h := fieldlink.Hook{Name: name, JiraDatasourceID: ds.ID}
			if err := db.CreateHook(ctx, &h); err != nil {
				t.Fatalf("CreateHook %q: %v", name, err)
			}
		}

		err := db.DeleteDatasource(ctx, ds.ID)
		wantError(t, err, fieldlink.EConflict,
			`datasource "Jira" is used by item "alpha", item "Manager", item "office", item "Zone", item "Ärger", hook "Intake", hook "service desk"`)
	})
}
