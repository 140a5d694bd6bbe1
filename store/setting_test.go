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
