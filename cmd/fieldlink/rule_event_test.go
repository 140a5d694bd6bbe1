package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/fieldlink/fieldlink/store"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
)

// storeReplayer replays events through the real store without a queue.
type storeReplayer struct{ a *testAPI }

func (r storeReplayer) Replay(ctx context.Context, id int64) error {
	tx, err := r.a.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := r.a.db.ReplayEventTx(ctx, store.SQLTx(tx), id); err != nil {
		return err
	}
	return tx.Commit()
}

// routeSimulator plans the "Paris" rule for every payload.
type routeSimulator struct{}

func (routeSimulator) Simulate(_ context.Context, _ fieldlink.Hook, _ []byte) (fieldlink.Outcome, error) {
	return fieldlink.Outcome{IssueKey: "ITH-1", Reporter: "ada@fabrikam.example", Items: map[string]string{},
		Rule: "Paris", FieldsWritten: []string{"customfield_10050"}}, nil
}

// startTriageAPI starts the API with a replayer and a simulator, and
// stores a hook and a failed event for it.
func startTriageAPI(t *testing.T) (*testAPI, fieldlink.Hook, int64) {
	t.Helper()
	a := startAPI(t)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Store:          a.db,
		Replayer:       storeReplayer{a},
		Simulator:      routeSimulator{},
		AdminTokenHash: sha256.Sum256([]byte(testAdminToken)),
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL

	ctx := context.Background()
	hook := fieldlink.Hook{Name: "IT Help", Secret: "s"}
	if err := a.db.CreateHook(ctx, &hook); err != nil {
		t.Fatal(err)
	}
	tx, err := a.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := fieldlink.Event{HookID: hook.ID, DeliveryID: "d1", Kind: fieldlink.EventIssueCreated, IssueKey: "ITH-1", Payload: []byte(`{}`)}
	if _, err := a.db.InsertEventTx(ctx, store.SQLTx(tx), &e); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := a.db.FinishEvent(ctx, e.ID, fieldlink.EventFailed, fieldlink.Outcome{IssueKey: "ITH-1", Items: map[string]string{}, Reason: "Jira rejected the edit"}); err != nil {
		t.Fatal(err)
	}
	return a, hook, e.ID
}

func TestEventListShowReplay(t *testing.T) {
	a, _, id := startTriageAPI(t)

	out, _, err := a.run("event", "list", "--status", "failed")
	if err != nil {
		t.Fatalf("event list: %v", err)
	}
	if !strings.Contains(out, "ITH-1") || !strings.Contains(out, "Jira rejected the edit") {
		t.Errorf("event list output lacks the failed event:\n%s", out)
	}

	out, _, err = a.run("event", "show", fmt.Sprint(id))
	if err != nil {
		t.Fatalf("event show: %v", err)
	}
	if !strings.Contains(out, "failed") || !strings.Contains(out, "Jira rejected the edit") {
		t.Errorf("event show output lacks status or reason:\n%s", out)
	}

	if _, _, err := a.run("event", "replay", fmt.Sprint(id)); err != nil {
		t.Fatalf("event replay: %v", err)
	}
	got, err := a.db.FindEvent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != fieldlink.EventPending {
		t.Errorf("status after replay = %q, want pending", got.Status)
	}

	_, _, err = a.run("event", "replay", fmt.Sprint(id))
	if err == nil || !strings.Contains(err.Error(), "still pending") {
		t.Errorf("second replay error = %v, want one saying the event is still pending", err)
	}
	if _, _, err := a.run("event", "show", "abc"); err == nil {
		t.Error("event show abc succeeded, want an invalid ID error")
	}
}

func TestRuleCreateListSimulateDelete(t *testing.T) {
	a, hook, id := startTriageAPI(t)

	file := writeFile(t, "rule.yaml", "name: Paris\nruleSet: emea\nfields:\n  customfield_10050: {value: EMEA Service Desk}\n")
	out, _, err := a.run("rule", "create", "-f", file)
	if err != nil {
		t.Fatalf("rule create: %v", err)
	}
	if !strings.Contains(out, "Created rule") {
		t.Errorf("rule create output = %q", out)
	}

	out, _, err = a.run("rule", "list", "--rule-set", "emea")
	if err != nil {
		t.Fatalf("rule list: %v", err)
	}
	if !strings.Contains(out, "Paris") || !strings.Contains(out, "customfield_10050") {
		t.Errorf("rule list output lacks the rule:\n%s", out)
	}
	out, _, err = a.run("rule", "list", "--rule-set", "")
	if err != nil {
		t.Fatalf("rule list default set: %v", err)
	}
	if strings.Contains(out, "Paris") {
		t.Errorf("default set lists the emea rule:\n%s", out)
	}

	out, _, err = a.run("rule", "simulate", "--hook", hook.ID, "--event", fmt.Sprint(id))
	if err != nil {
		t.Fatalf("rule simulate: %v", err)
	}
	if !strings.Contains(out, "ITH-1") || !strings.Contains(out, "Paris") || !strings.Contains(out, "customfield_10050") {
		t.Errorf("rule simulate output lacks ticket, rule or field:\n%s", out)
	}

	if _, _, err := a.run("rule", "simulate", "--event", "1"); err == nil || !strings.Contains(err.Error(), "--hook") {
		t.Errorf("simulate without --hook: error %v, want one naming --hook", err)
	}

	rules, err := a.db.ListRules(context.Background())
	if err != nil || len(rules) != 1 {
		t.Fatalf("ListRules = %v, %v; want one rule", rules, err)
	}
	if _, _, err := a.run("rule", "delete", rules[0].ID); err != nil {
		t.Fatalf("rule delete: %v", err)
	}
	if rules, _ := a.db.ListRules(context.Background()); len(rules) != 0 {
		t.Errorf("%d rules left after delete, want 0", len(rules))
	}
}
