package graph_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

func TestEndlessPagingNeverEnds(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.SetEndlessPaging(true)

	next := "/v1.0/users?$filter=" + "mail%20eq%20'amelie.laurent@fabrikam.example'" + "&$select=officeLocation"
	seen := map[string]bool{}
	users := 0
	for page := 1; page <= 5; page++ {
		r := f.get(t, next, "reader", nil)
		if r.status != http.StatusOK {
			t.Fatalf("page %d: status = %d, body %s", page, r.status, r.body)
		}
		var body struct {
			NextLink string            `json:"@odata.nextLink"`
			Value    []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("page %d: decode %s: %v", page, r.body, err)
		}
		users += len(body.Value)
		if body.NextLink == "" {
			t.Fatalf("page %d has no @odata.nextLink, want one on every page", page)
		}
		if seen[body.NextLink] {
			t.Fatalf("page %d links to %s again, want a new link on each page", page, body.NextLink)
		}
		seen[body.NextLink] = true
		next = body.NextLink
	}
	if users != 1 {
		t.Errorf("%d users over the pages, want the 1 matching user once", users)
	}

	// Turned off, the page past the end is an expired token again.
	f.server.SetEndlessPaging(false)
	checkError(t, f.get(t, next, "reader", nil), http.StatusBadRequest, "Directory_ExpiredPageToken")
}

func TestEndlessPagingOffLastPageHasNoLink(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users?$filter=mail%20eq%20'amelie.laurent@fabrikam.example'", "reader", nil)
	if link, ok := decode(t, r.body)["@odata.nextLink"]; ok {
		t.Errorf("@odata.nextLink = %v on the only page, want none", link)
	}
}
