package item_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

// newUpstreamClient returns the real Upstream, allowed to reach loopback.
func newUpstreamClient() *upstream.Client {
	out := outbound.New(outbound.Options{AllowLoopback: true})
	return upstream.New(out, credential.NewCache(out.For, nil), nil)
}

// bearerDatasource returns a bearer-token datasource for baseURL.
func bearerDatasource(baseURL string) fieldlink.Datasource {
	return fieldlink.Datasource{
		ID:            "ds-bearer",
		Name:          "Test API",
		BaseURL:       baseURL,
		AllowLoopback: true,
		Auth:          fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "test-token"},
		UpdatedAt:     time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestUpstreamClientFollowsGraphPages(t *testing.T) {
	users := make([]graph.User, 250)
	for i := range users {
		users[i] = graph.User{ID: fmt.Sprintf("user-%03d", i+1), DisplayName: fmt.Sprintf("User %03d", i+1)}
	}
	directory := graph.New(graph.Options{Users: users})
	server := httptest.NewServer(directory)
	defer server.Close()
	engine := item.NewEngine(item.Options{Upstream: newUpstreamClient()})
	it := fieldlink.Item{
		ID: "item-users", Name: "All users", Type: fieldlink.ItemReadOnly,
		Request:  fieldlink.ItemRequest{Path: "/users?$select=displayName&$top=100"},
		Root:     "$.value[*]",
		Template: "${row.displayName}",
	}

	got, err := engine.Evaluate(context.Background(), it, bearerDatasource(server.URL+"/v1.0"), fieldlink.TicketContext{})

	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got.Rows != 250 || len(got.Values) != 250 {
		t.Fatalf("Rows = %d, values = %d; want 250 each", got.Rows, len(got.Values))
	}
	if got.Values[0] != "User 001" || got.Values[249] != "User 250" {
		t.Errorf("values run from %q to %q, want User 001 to User 250", got.Values[0], got.Values[249])
	}
	if n := directory.Requests(); n != 3 {
		t.Errorf("emulator received %d requests, want 3", n)
	}
}

func TestUpstreamClientRejectsOtherHost(t *testing.T) {
	var otherRequests atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value": []}`))
	}))
	defer other.Close()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value": [{"n": 1}], "@odata.nextLink": "` + other.URL + `/items?page=2"}`))
	}))
	defer server.Close()
	client := newUpstreamClient()
	ds := bearerDatasource(server.URL)

	// The engine does not follow the link.
	engine := item.NewEngine(item.Options{Upstream: client})
	it := fieldlink.Item{
		ID: "item-numbers", Name: "Numbers", Type: fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{Path: "/items"}, Root: "$.value[*]", Template: "${row.n}",
	}
	_, err := engine.Evaluate(context.Background(), it, ds, fieldlink.TicketContext{})
	var pagingErr *item.PagingError
	if !errors.As(err, &pagingErr) || !strings.Contains(err.Error(), "credentials are sent only to the datasource's own host") {
		t.Errorf("Evaluate error = %v, want *PagingError about the datasource's host", err)
	}

	// Nor does the Upstream send a request to it.
	_, err = client.Do(context.Background(), ds, fieldlink.UpstreamRequest{Method: "GET", Path: other.URL + "/items?page=2"})
	if err == nil {
		t.Error("Upstream sent a request to another host")
	}
	if n := otherRequests.Load(); n != 0 {
		t.Errorf("other host received %d requests, want 0", n)
	}
}
