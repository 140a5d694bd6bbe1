package store

import (
	"context"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func TestHookSettingsRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		jira := createTestDatasource(t, db, "Jira")

		h := fieldlink.Hook{
			Name:                "Service desk",
			Secret:              "hook-secret",
			JiraDatasourceID:    jira.ID,
			ProjectKeys:         []string{"ITH", "HR"},
			RuleSet:             "service-desk",
			MatchAll:            true,
			Events:              []string{fieldlink.EventIssueCreated, fieldlink.EventIssueUpdated},
			EmailFallback:       "item:Reporter email",
			AutomationTokenHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		}
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}
		got, err := db.FindHook(ctx, h.ID)
		if err != nil {
			t.Fatalf("FindHook: %v", err)
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("FindHook after create (-want +got):\n%s", diff)
		}
	})
}

func TestHookUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		jira := createTestDatasource(t, db, "Jira")
		other := createTestDatasource(t, db, "Jira sandbox")

		h := fieldlink.Hook{Name: "Intake", Secret: "first-secret", JiraDatasourceID: jira.ID, ProjectKeys: []string{"ITH"}}
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}

		h.Name = "Renamed intake"
		h.Secret = "second-secret"
		h.JiraDatasourceID = other.ID
		h.ProjectKeys = nil
		h.MatchAll = true
		h.Events = []string{fieldlink.EventIssueUpdated}
		h.EmailFallback = "jira"
		h.AutomationTokenHash = "abc123"
		if err := db.UpdateHook(ctx, &h); err != nil {
			t.Fatalf("UpdateHook: %v", err)
		}
		got, err := db.FindHook(ctx, h.ID)
		if err != nil {
			t.Fatalf("FindHook: %v", err)
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("FindHook after update (-want +got):\n%s", diff)
		}
	})
}

func TestHookUpdateErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		jira := createTestDatasource(t, db, "Jira")

		first := fieldlink.Hook{Name: "First", JiraDatasourceID: jira.ID}
		second := fieldlink.Hook{Name: "Second", JiraDatasourceID: jira.ID}
		for _, h := range []*fieldlink.Hook{&first, &second} {
			if err := db.CreateHook(ctx, h); err != nil {
				t.Fatalf("CreateHook %q: %v", h.Name, err)
			}
		}

		taken := second
		taken.Name = "first"
		wantError(t, db.UpdateHook(ctx, &taken), fieldlink.EConflict, `"first" already exists`)

		missingDatasource := second
		missingDatasource.JiraDatasourceID = "ds_missing"
		wantError(t, db.UpdateHook(ctx, &missingDatasource), fieldlink.EInvalid, `"ds_missing" not found`)

		unknown := second
		unknown.ID = "hk_missing"
		unknown.Name = "Third"
		wantError(t, db.UpdateHook(ctx, &unknown), fieldlink.ENotFound, "hk_missing")

		noName := second
		noName.Name = " "
		wantError(t, db.UpdateHook(ctx, &noName), fieldlink.EInvalid, "name is missing")
	})
}
