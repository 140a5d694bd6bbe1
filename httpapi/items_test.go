package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink"
)

func amelieContext() fieldlink.TicketContext {
	return fieldlink.TicketContext{Reporter: &fieldlink.User{AccountID: "712020:1", EmailAddress: "amelie.laurent@fabrikam.example"}}
}

func TestItemNewFieldsRoundTrip(t *testing.T) {
	g := newGraphAPI(t)

	body := officeItemBody()
	body.Type = "select"
	body.LabelTemplate = "${row.officeLocation} office"
	body.MaxRows = 20
	body.Paging = &PagingBody{Mode: "offset", OffsetParam: "$skip", LimitParam: "$top", PageSize: 10}
	created := g.createItem(body)

	got := decodeBody[ItemBody](t, g.call("GET", "/api/v1/items/"+created.ID, adminToken, nil))
	want := body
	want.ID = created.ID
	want.Datasource = g.datasourceID
	want.Request.Method = "GET"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET item (-want +got):\n%s", diff)
	}
}

func TestItemChainEvaluated(t *testing.T) {
	g := newGraphAPI(t)
	var last ItemBody
	for _, body := range chainItemBodies() {
		last = g.createItem(body)
	}

	r := g.call("POST", "/api/v1/items/"+last.ID+"/evaluate", adminToken, EvaluateBody{Context: amelieContext()})
	if r.status != http.StatusOK {
		t.Fatalf("evaluate: %d %s", r.status, r.body)
	}
	got := decodeBody[fieldlink.ItemResult](t, r)

	want := fieldlink.ItemResult{
		Values: []string{"amelie.laurent@fabrikam.example", "priya.nair+helpdesk@fabrikam.example", "nurul.hassan@fabrikam.example"},
		Text:   "amelie.laurent@fabrikam.example, priya.nair+helpdesk@fabrikam.example, nurul.hassan@fabrikam.example",
		Rows:   3,
		Options: []fieldlink.Option{
			{Value: "amelie.laurent@fabrikam.example", Label: "Amélie Laurent"},
			{Value: "priya.nair+helpdesk@fabrikam.example", Label: "Priya Nair"},
			{Value: "nurul.hassan@fabrikam.example", Label: "Nurul Hassan"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evaluate (-want +got):\n%s", diff)
	}
}

func TestItemCycleRejectedAtSave(t *testing.T) {
	g := newGraphAPI(t)
	first := g.createItem(ItemBody{Name: "Alpha", Type: "read-only", Request: ItemRequestBody{Path: "/users/${reporter.emailAddress}"}, Template: "${row.id}"})
	g.createItem(ItemBody{Name: "Beta", Type: "read-only", Request: ItemRequestBody{Path: `/users/${items["Alpha"]}`}, Template: "${row.department}"})

	// Alpha would now depend on Beta, which depends on Alpha.
	cyclic := ItemBody{Name: "Alpha", Datasource: g.datasourceID, Type: "read-only",
		Request: ItemRequestBody{Path: `/users/${items["Beta"]}`}, Template: "${row.id}"}
	r := g.call("PUT", "/api/v1/items/"+first.ID, adminToken, cyclic)
	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.status, r.body)
	}
	msg := decodeBody[ErrorBody](t, r).Error.Message
	for _, name := range []string{`"Alpha"`, `"Beta"`, "cycle"} {
		if !strings.Contains(msg, name) {
			t.Errorf("message %q does not contain %s", msg, name)
		}
	}

	stored := decodeBody[ItemBody](t, g.call("GET", "/api/v1/items/"+first.ID, adminToken, nil))
	if stored.Request.Path != "/users/${reporter.emailAddress}" {
		t.Errorf("stored path = %q, want the one before the rejected update", stored.Request.Path)
	}

	self := ItemBody{Name: "Gamma", Datasource: g.datasourceID, Type: "read-only",
		Request: ItemRequestBody{Path: `/users/${items["Gamma"]}`}, Template: "${row.id}"}
	r = g.call("POST", "/api/v1/items", adminToken, self)
	if r.status != http.StatusBadRequest {
		t.Fatalf("item depending on itself: status = %d, want 400: %s", r.status, r.body)
	}
	if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `"Gamma"`) {
		t.Errorf("message %q does not name Gamma", msg)
	}
}

func TestItemUnknownDependencyRejected(t *testing.T) {
	g := newGraphAPI(t)

	body := ItemBody{Name: "Manager office", Datasource: g.datasourceID, Type: "read-only",
		Request: ItemRequestBody{Path: `/users/${items["Reporter manager"]}`}, Template: "${row.officeLocation}"}
	r := g.call("POST", "/api/v1/items", adminToken, body)
	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.status, r.body)
	}
	if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `"Reporter manager"`) {
		t.Errorf("message %q does not name the unknown item", msg)
	}

	list := decodeBody[ListBody[ItemBody]](t, g.call("GET", "/api/v1/items", adminToken, nil))
	if len(list.Items) != 0 {
		t.Errorf("items after a rejected create = %v, want none", list.Items)
	}
}

func TestItemDependedOnNotRemovable(t *testing.T) {
	g := newGraphAPI(t)
	bodies := chainItemBodies()
	first := g.createItem(bodies[0])
	g.createItem(bodies[1])

	deleted := g.call("DELETE", "/api/v1/items/"+first.ID, adminToken, nil)
	renamedBody := bodies[0]
	renamedBody.Datasource = g.datasourceID
	renamedBody.Name = "Reporter object id"
	renamed := g.call("PUT", "/api/v1/items/"+first.ID, adminToken, renamedBody)

	for name, r := range map[string]response{"delete": deleted, "rename": renamed} {
		if r.status != http.StatusConflict {
			t.Errorf("%s: status %d, want 409: %s", name, r.status, r.body)
			continue
		}
		if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `item "Reporter department" refers to it`) {
			t.Errorf("%s: message %q does not name the dependent item", name, msg)
		}
	}

	// Changing the item without renaming it is allowed.
	unchanged := bodies[0]
	unchanged.Datasource = g.datasourceID
	unchanged.CacheSeconds = intPtr(60)
	if r := g.call("PUT", "/api/v1/items/"+first.ID, adminToken, unchanged); r.status != http.StatusOK {
		t.Errorf("update without rename: status %d, want 200: %s", r.status, r.body)
	}
}
