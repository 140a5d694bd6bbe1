package item

import (
	"testing"

	"github.com/fieldlink/fieldlink"
)

// ticket returns a ticket context whose reporter has the email address, and
// whose userInput is input.
func ticket(email, input string) fieldlink.TicketContext {
	return fieldlink.TicketContext{
		Reporter: &fieldlink.User{AccountID: "5b10a2844c20165700ede21g", EmailAddress: email, DisplayName: "Ada Lovelace"},
		Project:  map[string]any{"key": "HELP", "id": "10000"},
		Issue: map[string]any{
			"key": "HELP-7",
			"fields": map[string]any{
				"summary":  "Printer on floor 3",
				"priority": map[string]any{"name": "High"},
				"labels":   []any{"printer", "floor-3"},
			},
		},
		UserInput: input,
	}
}

// readOnlyItem returns a valid item with the request path and template.
func readOnlyItem(path, template string) fieldlink.Item {
	return fieldlink.Item{
		ID:       "item-1",
		Name:     "Reporter office",
		Type:     fieldlink.ItemReadOnly,
		Request:  fieldlink.ItemRequest{Method: "GET", Path: path},
		Template: template,
	}
}

func mustRender(t *testing.T, it fieldlink.Item, tc fieldlink.TicketContext) fieldlink.UpstreamRequest {
	t.Helper()
	req, err := Render(it, tc)
	if err != nil {
		t.Fatalf("Render(%q): %v", it.Request.Path, err)
	}
	return req
}
