package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// configFixture is one record of each kind that the configuration cache
// keeps on SQLite.
type configFixture struct {
	ds    fieldlink.Datasource
	jira  fieldlink.Datasource
	item  fieldlink.Item
	rule  fieldlink.Rule
	hook  fieldlink.Hook
	token auth.Token
}

func newConfigFixture(t *testing.T, db *DB) *configFixture {
	t.Helper()
	ctx := context.Background()
	f := &configFixture{ds: graphDatasource()}

	if err := db.CreateDatasource(ctx, &f.ds); err != nil {
		t.Fatalf("CreateDatasource: %v", err)
	}
	f.jira = createTestDatasource(t, db, "Jira")
	f.item = officeItem(f.ds.ID)
	if err := db.CreateItem(ctx, &f.item); err != nil {
		t.Fatalf("CreateItem: %v", err)
	}
	f.rule = fieldlink.Rule{Name: "Paris office", Position: 10, Condition: `items["Reporter office"] == "Paris"`,
		Fields: map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"EMEA"}`)}, AddLabels: []string{"paris"}}
	if err := db.CreateRule(ctx, &f.rule); err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	f.hook = fieldlink.Hook{Name: "IT Help", Secret: "hook-secret-1", JiraDatasourceID: f.jira.ID, Events: []string{fieldlink.EventIssueCreated}}
	if err := db.CreateHook(ctx, &f.hook); err != nil {
		t.Fatalf("CreateHook: %v", err)
	}
	f.token = auth.Token{Name: "ci", Scope: auth.ScopeAdmin, Hash: auth.HashToken("flt_config-cache-test"), CreatedBy: "admin-token"}
	if err := db.CreateToken(ctx, &f.token); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return f
}

// readAll reads every record the fixture holds, as ticket events and API
// requests do, so that the cache keeps them on SQLite.
func (f *configFixture) readAll(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	reads := map[string]error{}
	_, reads["FindDatasource"] = db.FindDatasource(ctx, f.ds.ID)
	_, reads["FindDatasource of Jira"] = db.FindDatasource(ctx, f.jira.ID)
	_, reads["FindItem"] = db.FindItem(ctx, f.item.ID)
	_, reads["FindItemByName"] = db.FindItemByName(ctx, f.item.Name)
	_, reads["ListItems"] = db.ListItems(ctx)
	_, reads["ListRules"] = db.ListRules(ctx)
	_, reads["FindHook"] = db.FindHook(ctx, f.hook.ID)
	_, reads["FindTokenByHash"] = db.FindTokenByHash(ctx, f.token.Hash)
	for name, err := range reads {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestConfigWritesSeenByLaterReads checks that every change to a record is
// seen by the next read, even when the record was read, and on SQLite
// kept, just before.
func TestConfigWritesSeenByLaterReads(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		write func(t *testing.T, db *DB, f *configFixture)
		check func(t *testing.T, db *DB, f *configFixture)
	}{
		{
			name: "update datasource",
			write: func(t *testing.T, db *DB, f *configFixture) {
				f.ds.BaseURL = "http://127.0.0.1:9/v2"
				if err := db.UpdateDatasource(ctx, &f.ds); err != nil {
					t.Fatalf("UpdateDatasource: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				got, err := db.FindDatasource(ctx, f.ds.ID)
				if err != nil || got.BaseURL != "http://127.0.0.1:9/v2" {
					t.Errorf("FindDatasource = %q, %v; want the new base URL", got.BaseURL, err)
				}
			},
		},
		{
			name: "datasource health",
			write: func(t *testing.T, db *DB, f *configFixture) {
				h := fieldlink.DatasourceHealth{LastErrorAt: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC), LastError: "token endpoint returned 401", Unhealthy: true}
				if err := db.SetDatasourceHealth(ctx, f.ds.ID, h); err != nil {
					t.Fatalf("SetDatasourceHealth: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				got, err := db.FindDatasource(ctx, f.ds.ID)
				if err != nil || !got.Health.Unhealthy || got.Health.LastError != "token endpoint returned 401" {
					t.Errorf("FindDatasource health = %+v, %v; want the recorded error", got.Health, err)
				}
			},
		},
		{
			name: "delete datasource",
			write: func(t *testing.T, db *DB, f *configFixture) {
				if err := db.DeleteHook(ctx, f.hook.ID); err != nil {
					t.Fatalf("DeleteHook: %v", err)
				}
				if err := db.DeleteDatasource(ctx, f.jira.ID); err != nil {
					t.Fatalf("DeleteDatasource: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				_, err := db.FindDatasource(ctx, f.jira.ID)
				wantError(t, err, fieldlink.ENotFound)
			},
		},
		{
			name: "update item",
			write: func(t *testing.T, db *DB, f *configFixture) {
				f.item.Template = "${row.city}"
				if err := db.UpdateItem(ctx, &f.item); err != nil {
					t.Fatalf("UpdateItem: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				byID, err := db.FindItem(ctx, f.item.ID)
				if err != nil || byID.Template != "${row.city}" {
					t.Errorf("FindItem template = %q, %v; want the new one", byID.Template, err)
				}
				byName, err := db.FindItemByName(ctx, f.item.Name)
				if err != nil || byName.Template != "${row.city}" {
					t.Errorf("FindItemByName template = %q, %v; want the new one", byName.Template, err)
				}
				all, err := db.ListItems(ctx)
				if err != nil || len(all) != 1 || all[0].Template != "${row.city}" {
					t.Errorf("ListItems = %+v, %v; want the updated item", all, err)
				}
			},
		},
		{
			name: "item lookup token",
			write: func(t *testing.T, db *DB, f *configFixture) {
				if err := db.SetItemLookupTokenHash(ctx, f.item.ID, "abc123"); err != nil {
					t.Fatalf("SetItemLookupTokenHash: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				got, err := db.FindItem(ctx, f.item.ID)
				if err != nil || got.LookupTokenHash != "abc123" {
					t.Errorf("FindItem lookup token hash = %q, %v; want abc123", got.LookupTokenHash, err)
				}
			},
		},
		{
			name: "create and delete item",
			write: func(t *testing.T, db *DB, f *configFixture) {
				extra := officeItem(f.ds.ID)
				extra.Name = "Reporter city"
				if err := db.CreateItem(ctx, &extra); err != nil {
					t.Fatalf("CreateItem: %v", err)
				}
				if err := db.DeleteRule(ctx, f.rule.ID); err != nil {
					t.Fatalf("DeleteRule: %v", err)
				}
				if err := db.DeleteItem(ctx, f.item.ID); err != nil {
					t.Fatalf("DeleteItem: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				_, err := db.FindItem(ctx, f.item.ID)
				wantError(t, err, fieldlink.ENotFound)
				_, err = db.FindItemByName(ctx, f.item.Name)
				wantError(t, err, fieldlink.ENotFound)
				all, err := db.ListItems(ctx)
				if err != nil || len(all) != 1 || all[0].Name != "Reporter city" {
					t.Errorf("ListItems = %+v, %v; want only the new item", all, err)
				}
				rules, err := db.ListRules(ctx)
				if err != nil || len(rules) != 0 {
					t.Errorf("ListRules = %+v, %v; want none", rules, err)
				}
			},
		},
		{
			name: "update rule",
			write: func(t *testing.T, db *DB, f *configFixture) {
				f.rule.AddLabels = []string{"paris", "routed"}
				if err := db.UpdateRule(ctx, &f.rule); err != nil {
					t.Fatalf("UpdateRule: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				rules, err := db.ListRules(ctx)
				if err != nil || len(rules) != 1 || len(rules[0].AddLabels) != 2 {
					t.Errorf("ListRules = %+v, %v; want the rule with two labels", rules, err)
				}
			},
		},
		{
			name: "update hook",
			write: func(t *testing.T, db *DB, f *configFixture) {
				f.hook.Secret = "hook-secret-2"
				if err := db.UpdateHook(ctx, &f.hook); err != nil {
					t.Fatalf("UpdateHook: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				got, err := db.FindHook(ctx, f.hook.ID)
				if err != nil || got.Secret != "hook-secret-2" {
					t.Errorf("FindHook secret changed = %v, %v; want the new secret", got.Secret == "hook-secret-2", err)
				}
			},
		},
		{
			name: "touch token",
			write: func(t *testing.T, db *DB, f *configFixture) {
				if err := db.TouchToken(ctx, f.token.ID, time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)); err != nil {
					t.Fatalf("TouchToken: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				got, err := db.FindTokenByHash(ctx, f.token.Hash)
				if err != nil || !got.LastUsedAt.Equal(time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)) {
					t.Errorf("FindTokenByHash last use = %v, %v; want the touched time", got.LastUsedAt, err)
				}
			},
		},
		{
			name: "revoke token",
			write: func(t *testing.T, db *DB, f *configFixture) {
				if _, err := db.DeleteToken(ctx, f.token.Name); err != nil {
					t.Fatalf("DeleteToken: %v", err)
				}
			},
			check: func(t *testing.T, db *DB, f *configFixture) {
				_, err := db.FindTokenByHash(ctx, f.token.Hash)
				wantError(t, err, fieldlink.ENotFound)
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, db *DB) {
				f := newConfigFixture(t, db)
				f.readAll(t, db)

				tt.write(t, db, f)
				tt.check(t, db, f)
			})
		})
	}
}

// TestConfigReadsReturnCopies checks that changing a record a read returned
// does not change what the next read returns.
func TestConfigReadsReturnCopies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		f := newConfigFixture(t, db)

		for range 2 {
			ds, err := db.FindDatasource(ctx, f.ds.ID)
			if err != nil {
				t.Fatalf("FindDatasource: %v", err)
			}
			if ds.Headers["ConsistencyLevel"] != "eventual" || ds.Auth.Scopes[0] != "https://graph.microsoft.com/.default" {
				t.Errorf("FindDatasource returned headers %v and scopes %v changed by an earlier caller", ds.Headers, ds.Auth.Scopes)
			}
			ds.Headers["ConsistencyLevel"] = "changed"
			ds.Auth.Scopes[0] = "changed"

			it, err := db.FindItem(ctx, f.item.ID)
			if err != nil {
				t.Fatalf("FindItem: %v", err)
			}
			if it.Request.Headers["Accept"] != "application/json" {
				t.Errorf("FindItem returned headers %v changed by an earlier caller", it.Request.Headers)
			}
			it.Request.Headers["Accept"] = "changed"

			rules, err := db.ListRules(ctx)
			if err != nil {
				t.Fatalf("ListRules: %v", err)
			}
			if string(rules[0].Fields["customfield_10050"]) != `{"value":"EMEA"}` || rules[0].AddLabels[0] != "paris" {
				t.Errorf("ListRules returned %+v changed by an earlier caller", rules[0])
			}
			rules[0].Fields["customfield_10050"][2] = 'X'
			rules[0].AddLabels[0] = "changed"

			h, err := db.FindHook(ctx, f.hook.ID)
			if err != nil {
				t.Fatalf("FindHook: %v", err)
			}
			if h.Events[0] != fieldlink.EventIssueCreated {
				t.Errorf("FindHook returned events %v changed by an earlier caller", h.Events)
			}
			h.Events[0] = "changed"
		}
	})
}

// TestConfigClonesShareNothing fills every field of each kept record type,
// clones it and checks that no map, slice or pointer is shared, so that a
// field added later without a clone fails here.
func TestConfigClonesShareNothing(t *testing.T) {
	tests := []struct {
		name  string
		clone func(any) any
		value any
	}{
		{"datasource", func(v any) any { return cloneDatasource(v.(fieldlink.Datasource)) }, fieldlink.Datasource{}},
		{"item", func(v any) any { return cloneItem(v.(fieldlink.Item)) }, fieldlink.Item{}},
		{"rule", func(v any) any { return cloneRule(v.(fieldlink.Rule)) }, fieldlink.Rule{}},
		{"hook", func(v any) any { return cloneHook(v.(fieldlink.Hook)) }, fieldlink.Hook{}},
		{"token", func(v any) any { return cloneToken(v.(auth.Token)) }, auth.Token{}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			original := reflect.New(reflect.TypeOf(tt.value)).Elem()
			fillValue(original)
			clone := reflect.ValueOf(tt.clone(original.Interface()))

			if !reflect.DeepEqual(clone.Interface(), original.Interface()) {
				t.Fatalf("clone %+v differs from the original %+v", clone.Interface(), original.Interface())
			}
			for _, path := range sharedReferences(original, clone, tt.name) {
				t.Errorf("%s is shared between the original and the clone", path)
			}
		})
	}
}

// fillValue sets every field of v, recursively, to a non-zero value: one
// entry in each map and one element in each slice.
func fillValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i))
			}
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		key := reflect.New(v.Type().Key()).Elem()
		fillValue(key)
		elem := reflect.New(v.Type().Elem()).Elem()
		fillValue(elem)
		m.SetMapIndex(key, elem)
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillValue(s.Index(0))
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem())
		v.Set(p)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	}
}

// sharedReferences returns the paths of the maps, slices and pointers that
// a and b share.
func sharedReferences(a, b reflect.Value, path string) []string {
	var shared []string
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared = append(shared, sharedReferences(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
			}
		}
	case reflect.Map:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			shared = append(shared, path)
		}
		for _, k := range a.MapKeys() {
			shared = append(shared, sharedReferences(a.MapIndex(k), b.MapIndex(k), path+"["+k.String()+"]")...)
		}
	case reflect.Slice:
		if a.Len() > 0 && a.UnsafePointer() == b.UnsafePointer() {
			shared = append(shared, path)
		}
		for i := range a.Len() {
			shared = append(shared, sharedReferences(a.Index(i), b.Index(i), path+"[i]")...)
		}
	case reflect.Pointer:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			shared = append(shared, path)
		}
	}
	return shared
}

func TestWritesConfig(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{"INSERT INTO datasources (id) VALUES (?)", true},
		{"\n\t\tUPDATE items SET name = ? WHERE id = ?", true},
		{"DELETE FROM api_tokens WHERE id = ? RETURNING id", true},
		{"insert into datasource_health (datasource_id) values ($1) on conflict do nothing", true},
		{"INSERT OR REPLACE INTO hooks (id) VALUES (?)", true},
		{`UPDATE "rules" SET position = ?`, true},
		{"UPDATE events SET status = ? WHERE id = ?", false},
		{"INSERT INTO itemsets (id) VALUES (?)", false},
		{"SELECT id FROM items", false},
		{"DELETE FROM sessions WHERE expires_at < ?", false},
	}

	for _, tt := range tests {
		if got := writesConfig(tt.query); got != tt.want {
			t.Errorf("writesConfig(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}
