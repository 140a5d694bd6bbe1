package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func TestRuleRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		r := fieldlink.Rule{
			Name:      "Paris office",
			Position:  10,
			Condition: `items["Reporter office"] == "Paris"`,
			Fields: map[string]json.RawMessage{
				"customfield_10010": json.RawMessage(`{"value":"Paris support"}`),
				"labels":            json.RawMessage(`["paris"]`),
			},
		}
		if err := db.CreateRule(ctx, &r); err != nil {
			t.Fatalf("CreateRule: %v", err)
		}
		if !strings.HasPrefix(r.ID, "ru_") {
			t.Errorf("ID = %q, want prefix ru_", r.ID)
		}

		got, err := db.FindRule(ctx, r.ID)
		if err != nil {
			t.Fatalf("FindRule: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("FindRule (-want +got):\n%s", diff)
		}

		r.Condition = ""
		r.Fields = nil
		if err := db.UpdateRule(ctx, &r); err != nil {
			t.Fatalf("UpdateRule: %v", err)
		}
		got, err = db.FindRule(ctx, r.ID)
		if err != nil {
			t.Fatalf("FindRule: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("FindRule after update (-want +got):\n%s", diff)
		}

		if err := db.DeleteRule(ctx, r.ID); err != nil {
			t.Fatalf("DeleteRule: %v", err)
		}
		_, err = db.FindRule(ctx, r.ID)
		wantError(t, err, fieldlink.ENotFound, `rule "`+r.ID+`" not found`)
	})
}

func TestRuleFieldsCompacted(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		r := fieldlink.Rule{
			Name:   "Spaced",
			Fields: map[string]json.RawMessage{"priority": json.RawMessage(`{ "name" : "High" }`)},
		}
		if err := db.CreateRule(ctx, &r); err != nil {
			t.Fatalf("CreateRule: %v", err)
		}

		got, err := db.FindRule(ctx, r.ID)
		if err != nil {
			t.Fatalf("FindRule: %v", err)
		}
		if want := `{"name":"High"}`; string(got.Fields["priority"]) != want {
			t.Errorf("priority = %s, want %s", got.Fields["priority"], want)
		}
	})
}

func TestRuleInvalidFieldJSON(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		r := fieldlink.Rule{Name: "Broken", Fields: map[string]json.RawMessage{"summary": json.RawMessage(`{"value":`)}}
		err := db.CreateRule(context.Background(), &r)
		wantError(t, err, fieldlink.EInvalid, `rule "Broken"`)
	})
}

func TestRuleListOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		rules := []fieldlink.Rule{
			{Name: "default", Position: 100},
			{Name: "b", Position: 1},
			{Name: "a", Position: 1},
			{Name: "first", Position: 0},
		}
		for i := range rules {
			if err := db.CreateRule(ctx, &rules[i]); err != nil {
				t.Fatalf("CreateRule %q: %v", rules[i].Name, err)
			}
		}

		list, err := db.ListRules(ctx)
		if err != nil {
			t.Fatalf("ListRules: %v", err)
		}

		var names []string
		for _, r := range list {
			names = append(names, r.Name)
		}
		if diff := cmp.Diff([]string{"first", "a", "b", "default"}, names); diff != "" {
			t.Errorf("rule order (-want +got):\n%s", diff)
		}
	})
}

func TestRuleNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		_, err := db.FindRule(ctx, "ru_missing")
		wantError(t, err, fieldlink.ENotFound, `rule "ru_missing" not found`)

		r := fieldlink.Rule{ID: "ru_missing", Name: "x"}
		err = db.UpdateRule(ctx, &r)
		wantError(t, err, fieldlink.ENotFound, `rule "ru_missing" not found`)

		err = db.DeleteRule(ctx, "ru_missing")
		wantError(t, err, fieldlink.ENotFound, `rule "ru_missing" not found`)
	})
}
