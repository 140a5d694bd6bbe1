package item

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/emulator/graph"
)

func TestEvaluateDataTemplate(t *testing.T) {
	tests := []struct {
		name     string
		template string
		body     string
		want     fieldlink.ItemResult
	}{
		{
			name:     "member of the response",
			template: "${data.total} open tickets",
			body:     `{"total": 3, "items": [{"id": 1}, {"id": 2}, {"id": 3}]}`,
			want:     fieldlink.ItemResult{Values: []string{"3 open tickets"}, Text: "3 open tickets", Rows: 3},
		},
		{
			name:     "function over the rows",
			template: "${len(data.items)} of ${data.total}",
			body:     `{"total": 10, "items": [{"id": 1}, {"id": 2}]}`,
			want:     fieldlink.ItemResult{Values: []string{"2 of 10"}, Text: "2 of 10", Rows: 2},
		},
		{
			name:     "null member",
			template: "${data.total}",
			body:     `{"total": null, "items": []}`,
			want:     fieldlink.ItemResult{Values: []string{}, Rows: 0},
		},
		{
			name:     "empty list",
			template: "${data.items}",
			body:     `{"items": []}`,
			want:     fieldlink.ItemResult{Values: []string{}, Rows: 0},
		},
		{
			name:     "plain text",
			template: "${data.note}",
			body:     `{"note": "<b>Tom & Jerry's</b>", "items": []}`,
			want:     fieldlink.ItemResult{Values: []string{"<b>Tom & Jerry's</b>"}, Text: "<b>Tom & Jerry's</b>", Rows: 0},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := NewEngine(Options{Upstream: jsonUpstream(tt.body)})
			it := readOnlyItem("/tickets", tt.template)
			it.Root = "$.items[*]"
			if err := Validate(it); err != nil {
				t.Fatalf("Validate: %v", err)
			}

			got, err := engine.Evaluate(context.Background(), it, graphDatasource, ticket("ada@example.com", ""))

			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("result (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEvaluateDataTemplateReadsFirstPageOnly(t *testing.T) {
	engine, ds, upstream := newGraph(t, graph.SampleDirectory())
	it := usersItem(5)
	it.Template = `${data.value[0].displayName} and ${len(data.value) - 1} more`

	got, err := engine.Evaluate(context.Background(), it, ds, ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if want := "Amélie Laurent and 4 more"; got.Text != want {
		t.Errorf("Text = %q, want %q", got.Text, want)
	}
	if n := len(upstream.Sent()); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
	if !got.Truncated {
		t.Errorf("Truncated = false, want true: the directory has more pages")
	}
}

func TestEvaluateRowTemplateRendersPerRow(t *testing.T) {
	var requests atomic.Int64
	server, engine, _ := newAPI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		writeJSON(w, `{"items": [{"n": "a"}, {"n": "b"}]}`)
	}))
	it := readOnlyItem("/items", "Ticket for ${reporter.displayName}")
	it.Root = "$.items[*]"

	got, err := engine.Evaluate(context.Background(), it, apiDatasource(server, ""), ticket("ada@example.com", ""))

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	// A template that reads neither row nor data still renders per row.
	want := []string{"Ticket for Ada Lovelace", "Ticket for Ada Lovelace"}
	if diff := cmp.Diff(got.Values, want); diff != "" {
		t.Errorf("values (-got +want):\n%s", diff)
	}
}
