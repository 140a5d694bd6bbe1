package triage

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

// useGraph points the setup's Graph datasource at a new Graph emulator and
// gives the processor the real items engine.
func (s *setup) useGraph(t *testing.T) {
	t.Helper()
	ctx := context.Background()

	srv := httptest.NewServer(graph.New(graph.Options{Users: graph.SampleDirectory()}))
	t.Cleanup(srv.Close)

	it, err := s.db.FindItemByName(ctx, "Reporter office")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.db.FindDatasource(ctx, it.DatasourceID)
	if err != nil {
		t.Fatal(err)
	}
	ds.BaseURL = srv.URL + "/v1.0"
	ds.AllowLoopback = true
	if err := s.db.UpdateDatasource(ctx, &ds); err != nil {
		t.Fatal(err)
	}

	out := outbound.New(outbound.Options{AllowLoopback: true})
	client := upstream.New(out, credential.NewCache(out.For, nil), nil)
	s.processor.Items = item.NewEngine(item.Options{Upstream: client})
}

func TestProcessRuleOnDependentItem(t *testing.T) {
	s := newSetup(t)
	s.useGraph(t)
	ctx := context.Background()

	// "Reporter office" looks the reporter up; "Office colleagues" lists
	// the users in the same office, so it depends on the first item.
	office, err := s.db.FindItemByName(ctx, "Reporter office")
	if err != nil {
		t.Fatal(err)
	}
	office.Request.Path = "/users/${reporter.emailAddress}?$select=officeLocation"
	if err := s.db.UpdateItem(ctx, &office); err != nil {
		t.Fatal(err)
	}
	colleagues := fieldlink.Item{Name: "Office colleagues", DatasourceID: office.DatasourceID, Type: fieldlink.ItemMultiSelect,
		Request:  fieldlink.ItemRequest{Method: "GET", Path: `/users?$filter=officeLocation eq '${items["Reporter office"]}'&$select=mail`},
		Root:     "$.value[*]",
		Template: "${row.mail}"}
	if err := s.db.CreateItem(ctx, &colleagues); err != nil {
		t.Fatal(err)
	}

	rules, err := s.db.ListRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if err := s.db.DeleteRule(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	rule := fieldlink.Rule{Name: "Works with Julien", Position: 10,
		Condition: `"julien.moreau@fabrikam.example" in itemValues["Office colleagues"]`,
		Fields:    map[string]json.RawMessage{"customfield_10050": json.RawMessage(`{"value":"Paris Finance Desk"}`)}}
	if err := s.db.CreateRule(ctx, &rule); err != nil {
		t.Fatal(err)
	}

	s.site.fieldOptions["customfield_10050"] = append(s.site.fieldOptions["customfield_10050"], "Paris Finance Desk")
	id := s.storeEvent(t, "ITH-7", "amelie.laurent@fabrikam.example")

	if err := s.processor.Process(ctx, id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventProcessed {
		t.Errorf("status = %q, want processed (reason %q)", ev.Status, ev.Outcome.Reason)
	}
	if ev.Outcome.Rule != "Works with Julien" {
		t.Errorf("rule = %q, want Works with Julien (reason %q)", ev.Outcome.Rule, ev.Outcome.Reason)
	}
	if got := string(s.site.issue("ITH-7").fields["customfield_10050"]); !strings.Contains(got, `"value":"Paris Finance Desk"`) {
		t.Errorf("customfield_10050 written = %s, want the rule's value", got)
	}
	if got := ev.Outcome.Items["Office colleagues"]; !strings.Contains(got, "julien.moreau@fabrikam.example") {
		t.Errorf("Office colleagues = %q, want the Paris users", got)
	}
}

func TestProcessDependencyCycleFails(t *testing.T) {
	s := newSetup(t)
	ctx := context.Background()

	// The store does not check references between items, so a cycle can
	// reach the processor when items were written around the API.
	office, err := s.db.FindItemByName(ctx, "Reporter office")
	if err != nil {
		t.Fatal(err)
	}
	office.Request.Path = `/users/${items["Reporter manager"]}`
	if err := s.db.UpdateItem(ctx, &office); err != nil {
		t.Fatal(err)
	}
	manager := fieldlink.Item{Name: "Reporter manager", DatasourceID: office.DatasourceID, Type: fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{Method: "GET", Path: `/users/${items["Reporter office"]}/manager`}, Template: "${row.id}"}
	if err := s.db.CreateItem(ctx, &manager); err != nil {
		t.Fatal(err)
	}
	s.items.EvaluateFunc = func(fieldlink.TicketContext) (fieldlink.ItemResult, error) {
		t.Error("an item was evaluated despite the cycle")
		return fieldlink.ItemResult{}, nil
	}
	id := s.storeEvent(t, "ITH-8", "ada@fabrikam.example")

	if err := s.processor.Process(ctx, id, false); err != nil {
		t.Fatalf("Process: %v", err)
	}

	ev := s.event(t, id)
	if ev.Status != fieldlink.EventFailed {
		t.Errorf("status = %q, want failed", ev.Status)
	}
	for _, want := range []string{"cycle", `"Reporter office"`, `"Reporter manager"`} {
		if !strings.Contains(ev.Outcome.Reason, want) {
			t.Errorf("reason = %q, want it to contain %s", ev.Outcome.Reason, want)
		}
	}
}
