package store

import (
	"context"
	"strings"
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

func TestAdminRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		// Usernames are compared byte for byte: "Ana" and "ana" are two
		// admins, listed in byte order.
		for _, username := range []string{"ana", "Ana", "zoë", "bob"} {
			if err := db.CreateAdmin(ctx, username, "$argon2id$"+username); err != nil {
				t.Fatalf("CreateAdmin %q: %v", username, err)
			}
		}
		wantError(t, db.CreateAdmin(ctx, "", "$argon2id$x"), fieldlink.EInvalid, "username is missing")

		got, err := db.GetAdmin(ctx, "Ana")
		if err != nil {
			t.Fatalf("GetAdmin: %v", err)
		}
		created := time.Date(2025, 3, 4, 9, 30, 2, 123456789, time.UTC)
		want := auth.Admin{Username: "Ana", PasswordHash: "$argon2id$Ana", CreatedAt: created, UpdatedAt: created}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetAdmin (-want +got):\n%s", diff)
		}

		list, err := db.ListAdmins(ctx)
		if err != nil {
			t.Fatalf("ListAdmins: %v", err)
		}
		var names []string
		for _, a := range list {
			names = append(names, a.Username)
			if a.PasswordHash != "" {
				t.Errorf("ListAdmins returned the password hash of %q", a.Username)
			}
		}
		if diff := cmp.Diff([]string{"Ana", "ana", "bob", "zoë"}, names); diff != "" {
			t.Errorf("ListAdmins usernames (-want +got):\n%s", diff)
		}
	})
}

func TestAdminPasswordEndsSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()
		for _, username := range []string{"ana", "bob"} {
			if err := db.CreateAdmin(ctx, username, "$argon2id$old"); err != nil {
				t.Fatalf("CreateAdmin: %v", err)
			}
		}
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		for _, s := range []auth.Session{
			{IDHash: "ana-1", Username: "ana", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{IDHash: "ana-2", Username: "ana", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{IDHash: "bob-1", Username: "bob", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := db.CreateSession(ctx, s); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
		}
		before, err := db.GetAdmin(ctx, "ana")
		if err != nil {
			t.Fatalf("GetAdmin: %v", err)
		}

		if err := db.SetAdminPassword(ctx, "ana", "$argon2id$new"); err != nil {
			t.Fatalf("SetAdminPassword: %v", err)
		}

		after, err := db.GetAdmin(ctx, "ana")
		if err != nil {
			t.Fatalf("GetAdmin: %v", err)
		}
		if after.PasswordHash != "$argon2id$new" {
			t.Errorf("PasswordHash = %q, want the new one", after.PasswordHash)
		}
		if !after.CreatedAt.Equal(before.CreatedAt) || !after.UpdatedAt.After(before.UpdatedAt) {
			t.Errorf("times after SetAdminPassword = %v, %v, want CreatedAt %v kept and UpdatedAt after %v",
				after.CreatedAt, after.UpdatedAt, before.CreatedAt, before.UpdatedAt)
		}
		for _, id := range []string{"ana-1", "ana-2"} {
			_, err := db.GetSession(ctx, id)
			wantError(t, err, fieldlink.ENotFound)
		}
		if _, err := db.GetSession(ctx, "bob-1"); err != nil {
			t.Errorf("another admin's session ended: %v", err)
		}

		wantError(t, db.SetAdminPassword(ctx, "carol", "$argon2id$x"), fieldlink.ENotFound, "carol")
	})
}

func TestSessionTouchAndDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if err := db.CreateAdmin(ctx, "ana", "$argon2id$hash"); err != nil {
			t.Fatal(err)
		}

		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := auth.Session{IDHash: "abc", Username: "ana", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantError(t, db.CreateSession(ctx, auth.Session{IDHash: "def", Username: "nobody", CreatedAt: now, LastSeenAt: now, ExpiresAt: now}),
			fieldlink.ENotFound, "nobody")

		s.LastSeenAt = now.Add(17*time.Minute + 123456789*time.Nanosecond)
		if err := db.TouchSession(ctx, "abc", s.LastSeenAt); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		got, err := db.GetSession(ctx, "abc")
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("GetSession after TouchSession (-want +got):\n%s", diff)
		}

		if err := db.DeleteSession(ctx, "abc"); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		_, err = db.GetSession(ctx, "abc")
		wantError(t, err, fieldlink.ENotFound, "sign in again")
		if err := db.DeleteSession(ctx, "abc"); err != nil {
			t.Errorf("DeleteSession of a missing session: %v", err)
		}
	})
}

func TestTokenRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		var created []auth.Token
		for _, tok := range []auth.Token{
			{Name: "monitoring", Scope: auth.ScopeReadOnly, Hash: "h1", CreatedBy: "ana"},
			{Name: "Deploy", Scope: auth.ScopeAdmin, Hash: "h2", CreatedBy: "admin-token"},
			{Name: "deploy", Scope: auth.ScopeReadOnly, Hash: "h3", CreatedBy: "ana"},
		} {
			if err := db.CreateToken(ctx, &tok); err != nil {
				t.Fatalf("CreateToken %q: %v", tok.Name, err)
			}
			if !strings.HasPrefix(tok.ID, "tk_") || tok.CreatedAt.IsZero() {
				t.Errorf("CreateToken set ID %q and CreatedAt %v, want prefix tk_ and a time", tok.ID, tok.CreatedAt)
			}
			created = append(created, tok)
		}
		dupHash := auth.Token{Name: "other", Scope: auth.ScopeAdmin, Hash: "h1"}
		if err := db.CreateToken(ctx, &dupHash); fieldlink.ErrorCode(err) != fieldlink.EConflict {
			t.Errorf("CreateToken with a taken hash: err = %v, want a conflict", err)
		}

		used := time.Date(2026, 3, 1, 9, 0, 0, 5, time.UTC)
		if err := db.TouchToken(ctx, created[2].ID, used); err != nil {
			t.Fatalf("TouchToken: %v", err)
		}
		created[2].LastUsedAt = used

		list, err := db.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		// Tokens are listed by name byte for byte.
		want := []auth.Token{created[1], created[2], created[0]}
		if diff := cmp.Diff(want, list); diff != "" {
			t.Errorf("ListTokens (-want +got):\n%s", diff)
		}

		for _, tok := range created {
			got, err := db.FindTokenByHash(ctx, tok.Hash)
			if err != nil {
				t.Fatalf("FindTokenByHash %s: %v", tok.Hash, err)
			}
			if diff := cmp.Diff(tok, got); diff != "" {
				t.Errorf("FindTokenByHash %s (-want +got):\n%s", tok.Hash, diff)
			}
		}

		revoked, err := db.DeleteToken(ctx, created[1].ID)
		if err != nil {
			t.Fatalf("DeleteToken by ID: %v", err)
		}
		if diff := cmp.Diff(created[1], revoked); diff != "" {
			t.Errorf("DeleteToken by ID (-want +got):\n%s", diff)
		}
		if _, err := db.FindTokenByHash(ctx, "h3"); err != nil {
			t.Errorf("token deploy gone after Deploy was revoked: %v", err)
		}
	})
}

func TestAuditRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		entries := []auth.AuditEntry{
			{Actor: "ana", Action: "datasource.create", Target: "ds_1", Detail: `created datasource "Microsoft Graph"`},
			{At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Actor: "token:deploy", Action: "rule.update", Target: "ru_ü"},
			{Actor: "cli:ana", Action: "keys.rotate", Detail: "rotated the master key to key ID 1a2b3c4d"},
		}
		for _, e := range entries {
			if err := db.RecordAudit(ctx, e); err != nil {
				t.Fatalf("RecordAudit: %v", err)
			}
		}

		got, err := db.ListAudit(ctx, 10)
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		if len(got) != len(entries) {
			t.Fatalf("ListAudit returned %d entries, want %d", len(got), len(entries))
		}
		want := []auth.AuditEntry{entries[2], entries[1], entries[0]}
		want[0].At = time.Date(2025, 3, 4, 9, 30, 2, 123456789, time.UTC)
		want[2].At = time.Date(2025, 3, 4, 9, 30, 1, 123456789, time.UTC)
		for i := range want {
			want[i].ID = got[i].ID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListAudit (-want +got):\n%s", diff)
		}
		if !(got[0].ID > got[1].ID && got[1].ID > got[2].ID && got[2].ID > 0) {
			t.Errorf("audit IDs %d, %d, %d, want positive and newest highest", got[0].ID, got[1].ID, got[2].ID)
		}

		// A limit of zero or less returns no entry, on both databases.
		for _, limit := range []int{0, -1} {
			got, err := db.ListAudit(ctx, limit)
			if err != nil {
				t.Errorf("ListAudit(%d): %v", limit, err)
			}
			if got == nil || len(got) != 0 {
				t.Errorf("ListAudit(%d) = %#v, want an empty, non-nil list", limit, got)
			}
		}
	})
}
