package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/upstream"
)

// graphLatency is added by the Graph emulator to every response, so the
// tester's timings have a known lower bound.
const graphLatency = 30 * time.Millisecond

// graphAPI is the API with the real items engine, sending through the real
// upstream client to the Graph emulator.
type graphAPI struct {
	*apiSetup
	graph        *graph.Server
	datasourceID string
}

// newGraphAPI starts the Graph emulator, the API with the real items engine,
// and creates a bearer-token datasource for the emulator.
func newGraphAPI(t *testing.T) *graphAPI {
	t.Helper()

	emulator := graph.New(graph.Options{Users: graph.SampleDirectory(), Latency: graphLatency})
	graphSrv := httptest.NewServer(emulator)
	t.Cleanup(graphSrv.Close)

	out := outbound.New(outbound.Options{AllowLoopback: true})
	client := upstream.New(out, credential.NewCache(out.For, nil), nil)
	engine := item.NewEngine(item.Options{Upstream: client})

	a := newAPIWith(t, engine)
	created := a.call("POST", "/api/v1/datasources", adminToken, DatasourceBody{
		Name:          "Microsoft Graph",
		BaseURL:       graphSrv.URL + "/v1.0",
		AllowLoopback: true,
		Auth:          AuthBody{Mode: "bearer", Token: "graph-test-token"},
	})
	if created.status != http.StatusCreated {
		t.Fatalf("create datasource: %d %s", created.status, created.body)
	}
	return &graphAPI{apiSetup: a, graph: emulator, datasourceID: decodeBody[DatasourceBody](t, created).ID}
}

// createItem saves the item on the emulator's datasource and fails the test
// unless it is created.
func (g *graphAPI) createItem(body ItemBody) ItemBody {
	g.t.Helper()

	body.Datasource = g.datasourceID
	created := g.call("POST", "/api/v1/items", adminToken, body)
	if created.status != http.StatusCreated {
		g.t.Fatalf("create item %q: %d %s", body.Name, created.status, created.body)
	}
	return decodeBody[ItemBody](g.t, created)
}

// officeItemBody looks up the reporter's office location.
func officeItemBody() ItemBody {
	return ItemBody{
		Name:         "Reporter office",
		Type:         "read-only",
		Request:      ItemRequestBody{Path: "/users/${reporter.emailAddress}?$select=officeLocation"},
		Template:     "${row.officeLocation}",
		CacheSeconds: intPtr(300),
	}
}

// chainItemBodies returns three items that depend on each other: the
// reporter's ID, that user's department, and the department's members.
func chainItemBodies() []ItemBody {
	return []ItemBody{
		{
			Name:     "Reporter id",
			Type:     "read-only",
			Request:  ItemRequestBody{Path: "/users/${reporter.emailAddress}?$select=id"},
			Template: "${row.id}",
		},
		{
			Name:     "Reporter department",
			Type:     "read-only",
			Request:  ItemRequestBody{Path: `/users/${items["Reporter id"]}?$select=department`},
			Template: "${row.department}",
		},
		{
			Name:          "Department colleagues",
			Type:          "select",
			Request:       ItemRequestBody{Path: `/users?$filter=department eq '${items["Reporter department"]}'&$select=displayName,mail`},
			Root:          "$.value[*]",
			Template:      "${row.mail}",
			LabelTemplate: "${row.displayName}",
		},
	}
}

func intPtr(v int) *int { return &v }
