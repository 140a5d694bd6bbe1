package store

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func TestHookRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		jira := createTestDatasource(t, db, "Jira")

		tests := []struct {
			name string
			hook fieldlink.Hook
		}{
			{"secret and datasource", fieldlink.Hook{Name: "Intake", Secret: "hook-secret-1", JiraDatasourceID: jira.ID}},
			{"no secret", fieldlink.Hook{Name: "Open intake", JiraDatasourceID: jira.ID}},
			{"no datasource", fieldlink.Hook{Name: "Log only", Secret: "hook-secret-2"}},
		}
		found := map[string]fieldlink.Hook{}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := tt.hook
				if err := db.CreateHook(ctx, &h); err != nil {
					t.Fatalf("CreateHook: %v", err)
				}
				if !strings.HasPrefix(h.ID, "hk_") {
					t.Errorf("ID = %q, want prefix hk_", h.ID)
				}

				want := tt.hook
				want.ID = h.ID
				got, err := db.FindHook(ctx, h.ID)
				if err != nil {
					t.Fatalf("FindHook: %v", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("FindHook (-want +got):\n%s", diff)
				}
				found[got.Name] = got
			})
		}

		list, err := db.ListHooks(ctx)
		if err != nil {
			t.Fatalf("ListHooks: %v", err)
		}
		var names []string
		for _, h := range list {
			names = append(names, h.Name)
			if diff := cmp.Diff(found[h.Name], h); diff != "" {
				t.Errorf("ListHooks %q (-FindHook +ListHooks):\n%s", h.Name, diff)
			}
		}
		if diff := cmp.Diff([]string{"Intake", "Log only", "Open intake"}, names); diff != "" {
			t.Errorf("ListHooks names (-want +got):\n%s", diff)
		}
	})
}

func TestHookDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		h := fieldlink.Hook{Name: "Intake", Secret: "hook-secret-1"}
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
		if err := db.DeleteHook(ctx, h.ID); err != nil {
			t.Fatalf("DeleteHook: %v", err)
		}

		_, err := db.FindHook(ctx, h.ID)
		wantError(t, err, fieldlink.ENotFound, `hook "`+h.ID+`" not found`)

		err = db.DeleteHook(ctx, h.ID)
		wantError(t, err, fieldlink.ENotFound, `hook "`+h.ID+`" not found`)
	})
}

func TestHookNameConflict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		first := fieldlink.Hook{Name: "Intake"}
		if err := db.CreateHook(ctx, &first); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}

		second := fieldlink.Hook{Name: "intake"}
		err := db.CreateHook(ctx, &second)
		wantError(t, err, fieldlink.EConflict, `a hook named "intake" already exists`)
	})
}

func TestHookUnknownDatasource(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		h := fieldlink.Hook{Name: "Intake", JiraDatasourceID: "ds_missing"}
		err := db.CreateHook(context.Background(), &h)
		wantError(t, err, fieldlink.EInvalid, `Jira datasource "ds_missing" not found`)
	})
}
