package store

import (
	"context"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func TestDatasourceHealthSetAndLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		ds := graphDatasource()
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}
		other := createTestDatasource(t, db, "Other")

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if diff := cmp.Diff(fieldlink.DatasourceHealth{}, got.Health); diff != "" {
			t.Errorf("health before any record (-want +got):\n%s", diff)
		}

		at := time.Date(2025, 5, 6, 7, 8, 9, 123456789, time.UTC)
		records := []fieldlink.DatasourceHealth{
			{
				LastTestAt:    at,
				LastErrorAt:   at,
				LastError:     "token request rejected: invalid_client",
				Unhealthy:     true,
				ConfigVersion: ds.UpdatedAt,
			},
			{
				LastTestAt:    at.Add(time.Minute),
				LastSuccessAt: at.Add(time.Minute),
				LastErrorAt:   at,
				LastError:     "token request rejected: invalid_client",
			},
		}
		for i, want := range records {
			if err := db.SetDatasourceHealth(ctx, ds.ID, want); err != nil {
				t.Fatalf("record %d: SetDatasourceHealth: %v", i, err)
			}

			got, err := db.FindDatasource(ctx, ds.ID)
			if err != nil {
				t.Fatalf("record %d: FindDatasource: %v", i, err)
			}
			if diff := cmp.Diff(want, got.Health); diff != "" {
				t.Errorf("record %d: FindDatasource health (-want +got):\n%s", i, diff)
			}
			if !got.UpdatedAt.Equal(ds.UpdatedAt) {
				t.Errorf("record %d: UpdatedAt = %v, want unchanged %v", i, got.UpdatedAt, ds.UpdatedAt)
			}

			list, err := db.ListDatasources(ctx)
			if err != nil {
				t.Fatalf("record %d: ListDatasources: %v", i, err)
			}
			healthByName := map[string]fieldlink.DatasourceHealth{}
			for _, d := range list {
				healthByName[d.Name] = d.Health
			}
			wantByName := map[string]fieldlink.DatasourceHealth{ds.Name: want, other.Name: {}}
			if diff := cmp.Diff(wantByName, healthByName); diff != "" {
				t.Errorf("record %d: ListDatasources health (-want +got):\n%s", i, diff)
			}
		}
	})
}

func TestDatasourceHealthKeptOnUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		ds := graphDatasource()
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}
		health := fieldlink.DatasourceHealth{
			LastErrorAt:   time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC),
			LastError:     "connection refused",
			Unhealthy:     true,
			ConfigVersion: ds.UpdatedAt,
		}
		if err := db.SetDatasourceHealth(ctx, ds.ID, health); err != nil {
			t.Fatalf("SetDatasourceHealth: %v", err)
		}

		// The caller's Health is ignored: only SetDatasourceHealth writes it.
		ds.BaseURL = "http://127.0.0.1:8081/beta"
		ds.Health = fieldlink.DatasourceHealth{LastError: "ignored"}
		if err := db.UpdateDatasource(ctx, &ds); err != nil {
			t.Fatalf("UpdateDatasource: %v", err)
		}
		if diff := cmp.Diff(health, ds.Health); diff != "" {
			t.Errorf("UpdateDatasource health (-want +got):\n%s", diff)
		}

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if diff := cmp.Diff(ds, got); diff != "" {
			t.Errorf("FindDatasource after update (-want +got):\n%s", diff)
		}
	})
}

func TestDatasourceHealthIgnoredOnCreate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := graphDatasource()
		ds.Health = fieldlink.DatasourceHealth{LastError: "ignored", Unhealthy: true}
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}
		if diff := cmp.Diff(fieldlink.DatasourceHealth{}, ds.Health); diff != "" {
			t.Errorf("CreateDatasource health (-want +got):\n%s", diff)
		}

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if diff := cmp.Diff(fieldlink.DatasourceHealth{}, got.Health); diff != "" {
			t.Errorf("FindDatasource health (-want +got):\n%s", diff)
		}
	})
}

func TestDatasourceHealthDeletedWithDatasource(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := createTestDatasource(t, db, "Graph")
		health := fieldlink.DatasourceHealth{LastTestAt: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)}
		if err := db.SetDatasourceHealth(ctx, ds.ID, health); err != nil {
			t.Fatalf("SetDatasourceHealth: %v", err)
		}

		if err := db.DeleteDatasource(ctx, ds.ID); err != nil {
			t.Fatalf("DeleteDatasource: %v", err)
		}

		count := countRows(t, db, `SELECT COUNT(*) FROM datasource_health WHERE datasource_id = ?`, ds.ID)
		if count != 0 {
			t.Errorf("%d health rows left after the datasource was deleted", count)
		}
	})
}

func TestDatasourceHealthNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		err := db.SetDatasourceHealth(context.Background(), "ds_missing", fieldlink.DatasourceHealth{LastError: "x"})
		wantError(t, err, fieldlink.ENotFound, `datasource "ds_missing" not found`)
	})
}
