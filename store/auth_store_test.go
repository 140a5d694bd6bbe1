package store

import (
	"context"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/google/go-cmp/cmp"
)

func TestAdminCreateGetDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		if err := db.CreateAdmin(ctx, "ana", "$argon2id$hash"); err != nil {
			t.Fatal(err)
		}
		wantError(t, db.CreateAdmin(ctx, "ana", "$argon2id$other"), fieldlink.EConflict, `"ana" already exists`)

		a, err := db.GetAdmin(ctx, "ana")
		if err != nil {
			t.Fatal(err)
		}
		if a.Username != "ana" || a.PasswordHash != "$argon2id$hash" || a.CreatedAt.IsZero() {
			t.Errorf("GetAdmin = %+v", a)
		}

		if err := db.DeleteAdmin(ctx, "ana"); err != nil {
			t.Fatal(err)
		}
		_, err = db.GetAdmin(ctx, "ana")
		wantError(t, err, fieldlink.ENotFound, "ana")
		wantError(t, db.DeleteAdmin(ctx, "ana"), fieldlink.ENotFound, "ana")
	})
}

func TestSessionDeletedWithAdmin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if err := db.CreateAdmin(ctx, "ana", "$argon2id$hash"); err != nil {
			t.Fatal(err)
		}

		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := auth.Session{IDHash: "abc", Username: "ana", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetSession(ctx, "abc")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("GetSession (-want +got):\n%s", diff)
		}

		if err := db.DeleteAdmin(ctx, "ana"); err != nil {
			t.Fatal(err)
		}
		_, err = db.GetSession(ctx, "abc")
		wantError(t, err, fieldlink.ENotFound)
		wantError(t, db.CreateSession(ctx, s), fieldlink.ENotFound, "ana")
	})
}

func TestTokenLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		tok := auth.Token{Name: "monitoring", Scope: auth.ScopeReadOnly, Hash: "h1", CreatedBy: "admin-token"}
		if err := db.CreateToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
		dup := auth.Token{Name: "monitoring", Scope: auth.ScopeAdmin, Hash: "h2"}
		wantError(t, db.CreateToken(ctx, &dup), fieldlink.EConflict, `"monitoring" already exists`)

		used := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		if err := db.TouchToken(ctx, tok.ID, used); err != nil {
			t.Fatal(err)
		}
		found, err := db.FindTokenByHash(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		tok.LastUsedAt = used
		if diff := cmp.Diff(tok, found, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("FindTokenByHash (-want +got):\n%s", diff)
		}

		revoked, err := db.DeleteToken(ctx, "monitoring")
		if err != nil || revoked.ID != tok.ID {
			t.Fatalf("DeleteToken by name = %+v, %v", revoked, err)
		}
		_, err = db.FindTokenByHash(ctx, "h1")
		wantError(t, err, fieldlink.ENotFound)
		_, err = db.DeleteToken(ctx, tok.ID)
		wantError(t, err, fieldlink.ENotFound)
	})
}

func TestAuditNewestFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		for _, action := range []string{"rule.create", "rule.update", "rule.delete"} {
			if err := db.RecordAudit(ctx, auth.AuditEntry{Actor: "ana", Action: action, Target: "ru_1"}); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := db.ListAudit(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if diff := cmp.Diff([]string{"rule.delete", "rule.update"}, actions); diff != "" {
			t.Errorf("ListAudit actions (-want +got):\n%s", diff)
		}
	})
}
