package store

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func TestRuleActionsRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		r := fieldlink.Rule{
			Name:                "Paris VIP",
			Position:            3,
			RuleSet:             "service-desk",
			Condition:           `items["Reporter office"] == "Paris"`,
			AddLabels:           []string{"paris", "office-${items[\"Reporter office\"]}"},
			Comment:             "Routed to ${items[\"Reporter office\"]}",
			CommentInternal:     true,
			RequestParticipants: []string{"712020:aaaa", "${items[\"Manager\"]}"},
		}
		if err := db.CreateRule(ctx, &r); err != nil {
			t.Fatalf("CreateRule: %v", err)
		}

		got, err := db.FindRule(ctx, r.ID)
		if err != nil {
			t.Fatalf("FindRule: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("FindRule after create (-want +got):\n%s", diff)
		}

		r.RuleSet = ""
		r.AddLabels = nil
		r.Comment = ""
		r.CommentInternal = false
		r.RequestParticipants = nil
		r.Fields = map[string]json.RawMessage{"priority": json.RawMessage(`{"name":"High"}`)}
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
	})
}

func TestRuleListInSet(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		for _, r := range []fieldlink.Rule{
			{Name: "HR late", Position: 2, RuleSet: "hr"},
			{Name: "Default", Position: 1},
			{Name: "HR early", Position: 1, RuleSet: "hr"},
			{Name: "Other set", Position: 0, RuleSet: "facilities"},
		} {
			if err := db.CreateRule(ctx, &r); err != nil {
				t.Fatalf("CreateRule %q: %v", r.Name, err)
			}
		}

		tests := []struct {
			ruleSet string
			want    []string
		}{
			{"hr", []string{"HR early", "HR late"}},
			{"", []string{"Default"}},
			{"unknown", nil},
		}
		for _, tt := range tests {
			rules, err := db.ListRulesInSet(ctx, tt.ruleSet)
			if err != nil {
				t.Fatalf("ListRulesInSet %q: %v", tt.ruleSet, err)
			}
			var names []string
			for _, r := range rules {
				names = append(names, r.Name)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("ListRulesInSet %q names (-want +got):\n%s", tt.ruleSet, diff)
			}
		}
	})
}
