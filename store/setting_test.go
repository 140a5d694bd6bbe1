package store

import (
	"context"
	"testing"
)

func TestSettingSetAndGet(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		_, ok, err := db.GetSetting(ctx, "admin_token_sha256")
		if err != nil {
			t.Fatalf("GetSetting: %v", err)
		}
		if ok {
			t.Error("ok = true for a setting never set")
		}

		for _, value := range []string{"first-hash", "second-hash"} {
			if err := db.SetSetting(ctx, "admin_token_sha256", value); err != nil {
				t.Fatalf("SetSetting: %v", err)
			}

			got, ok, err := db.GetSetting(ctx, "admin_token_sha256")
			if err != nil {
				t.Fatalf("GetSetting: %v", err)
			}
			if !ok || got != value {
				t.Errorf("GetSetting = %q, %v, want %q, true", got, ok, value)
			}
		}
	})
}

func TestAddSettingKeepsFirstValue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		stored, added, err := db.AddSetting(ctx, "master_key_check", "first")
		if err != nil || !added || stored != "first" {
			t.Fatalf("first AddSetting = %q, %v, %v, want \"first\", true, nil", stored, added, err)
		}

		stored, added, err = db.AddSetting(ctx, "master_key_check", "second")
		if err != nil || added || stored != "first" {
			t.Errorf("second AddSetting = %q, %v, %v, want \"first\", false, nil", stored, added, err)
		}

		// SetSetting replaces the value, and AddSetting then keeps that.
		if err := db.SetSetting(ctx, "master_key_check", "replaced"); err != nil {
			t.Fatalf("SetSetting: %v", err)
		}
		stored, added, err = db.AddSetting(ctx, "master_key_check", "third")
		if err != nil || added || stored != "replaced" {
			t.Errorf("AddSetting after SetSetting = %q, %v, %v, want \"replaced\", false, nil", stored, added, err)
		}

		// Keys are separate, and values keep every byte.
		value := "ünïcode ✓ with 'quotes', \"double\" and a\nnewline"
		if _, added, err := db.AddSetting(ctx, "other", value); err != nil || !added {
			t.Fatalf("AddSetting other = %v, %v, want added", added, err)
		}
		got, ok, err := db.GetSetting(ctx, "other")
		if err != nil || !ok || got != value {
			t.Errorf("GetSetting other = %q, %v, %v, want %q", got, ok, err, value)
		}
	})
}
