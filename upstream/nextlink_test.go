package upstream_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestDoFollowsNextLinkOnSameHost(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	ds := s.datasource()

	first, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: "/users?$top=2"})
	if err != nil {
		t.Fatalf("Do first page: %v", err)
	}
	var page struct {
		NextLink string `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(first.Body, &page); err != nil || page.NextLink == "" {
		t.Fatalf("first page %s has no @odata.nextLink (%v)", first.Body, err)
	}

	second, err := s.client.Do(t.Context(), ds, fieldlink.UpstreamRequest{Path: page.NextLink})
	if err != nil {
		t.Fatalf("Do next link %s: %v", page.NextLink, err)
	}
	if second.Status != http.StatusOK {
		t.Errorf("next page status = %d, want 200; body: %s", second.Status, second.Body)
	}
}

func TestDoRefusesNextLinkToOtherHost(t *testing.T) {
	s := newRetrySetup(t, newFakeClock())
	var received atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
	}))
	t.Cleanup(other.Close)

	// The other server listens on another port of the same address, so
	// only the port differs.
	link := other.URL + "/v1.0/users?$skiptoken=abc"
	_, err := s.client.Do(t.Context(), s.datasource(), fieldlink.UpstreamRequest{Path: link})
	if err == nil {
		t.Fatal("Do followed a next link to another host")
	}
	if !strings.Contains(err.Error(), "credentials are sent only to the datasource's own host") {
		t.Errorf("error = %q, want it to say credentials go only to the datasource's host", err)
	}
	if got := received.Load(); got != 0 {
		t.Errorf("other host received %d requests, want none", got)
	}
	if got := s.graph.Requests(); got != 0 {
		t.Errorf("Graph received %d requests, want none", got)
	}
}
