package item

import (
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestValidateItemSettings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fieldlink.Item)
		want   []string
	}{
		{
			name:   "unknown paging mode",
			change: func(it *fieldlink.Item) { it.Paging.Mode = "pages" },
			want:   []string{"paging.mode", `"pages"`, "none, odata, link, cursor or offset"},
		},
		{
			name: "cursor without path",
			change: func(it *fieldlink.Item) {
				it.Paging = fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorParam: "cursor"}
			},
			want: []string{"paging.cursorPath is required"},
		},
		{
			name: "cursor with invalid path",
			change: func(it *fieldlink.Item) {
				it.Paging = fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.next[", CursorParam: "cursor"}
			},
			want: []string{"paging.cursorPath", `"$.next["`, "not a valid JSONPath"},
		},
		{
			name: "cursor without parameter",
			change: func(it *fieldlink.Item) {
				it.Paging = fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.next"}
			},
			want: []string{"paging.cursorParam is required"},
		},
		{
			name:   "offset without parameter",
			change: func(it *fieldlink.Item) { it.Paging = fieldlink.Paging{Mode: fieldlink.PagingOffset, PageSize: 50} },
			want:   []string{"paging.offsetParam is required"},
		},
		{
			name: "offset without page size",
			change: func(it *fieldlink.Item) {
				it.Paging = fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "startAt"}
			},
			want: []string{"paging.pageSize 0 is out of range"},
		},
		{
			name:   "negative max rows",
			change: func(it *fieldlink.Item) { it.MaxRows = -1 },
			want:   []string{"maxRows -1 is out of range", "100000"},
		},
		{
			name:   "max rows above limit",
			change: func(it *fieldlink.Item) { it.MaxRows = MaxRowsLimit + 1 },
			want:   []string{"maxRows 100001 is out of range"},
		},
		{
			name:   "row and data",
			change: func(it *fieldlink.Item) { it.Template = "${row.name} of ${data.total}" },
			want:   []string{"template", "reads both row and data"},
		},
		{
			name: "data in select",
			change: func(it *fieldlink.Item) {
				it.Type = fieldlink.ItemSelect
				it.Template = "${data.total}"
			},
			want: []string{"template", "reads data", "select item", "use row"},
		},
		{
			name: "data in label",
			change: func(it *fieldlink.Item) {
				it.Type = fieldlink.ItemMultiSelect
				it.LabelTemplate = "${data.total}"
			},
			want: []string{"labelTemplate", "reads data"},
		},
		{
			name:   "label on read-only item",
			change: func(it *fieldlink.Item) { it.LabelTemplate = "${row.displayName}" },
			want:   []string{"labelTemplate is only used by select and multi-select items"},
		},
		{
			name: "label does not compile",
			change: func(it *fieldlink.Item) {
				it.Type = fieldlink.ItemSelect
				it.LabelTemplate = "${row.}"
			},
			want: []string{"labelTemplate", "position 1"},
		},
		{
			name:   "own result",
			change: func(it *fieldlink.Item) { it.Template = `${items["Reporter office"]}` },
			want:   []string{`item "Reporter office" reads its own result`},
		},
		{
			name:   "data in request",
			change: func(it *fieldlink.Item) { it.Request.Path = "/users/${data.id}" },
			want:   []string{"request.path", "unknown name data"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := validItem()
			tt.change(&it)

			err := Validate(it)

			if fieldlink.ErrorCode(err) != fieldlink.EInvalid {
				t.Fatalf("Validate error = %v, want EInvalid", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestValidateAcceptsItemSettings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fieldlink.Item)
	}{
		{name: "data template", change: func(it *fieldlink.Item) { it.Template = "${data.total} users" }},
		{name: "select with label", change: func(it *fieldlink.Item) {
			it.Type = fieldlink.ItemSelect
			it.LabelTemplate = "${row.displayName}"
		}},
		{name: "cursor", change: func(it *fieldlink.Item) {
			it.Paging = fieldlink.Paging{Mode: fieldlink.PagingCursor, CursorPath: "$.meta.next", CursorParam: "cursor"}
		}},
		{name: "offset", change: func(it *fieldlink.Item) {
			it.Paging = fieldlink.Paging{Mode: fieldlink.PagingOffset, OffsetParam: "startAt", LimitParam: "maxResults", PageSize: 50}
		}},
		{name: "link", change: func(it *fieldlink.Item) { it.Paging.Mode = fieldlink.PagingLink }},
		{name: "none", change: func(it *fieldlink.Item) { it.Paging.Mode = fieldlink.PagingNone }},
		{name: "max rows limit", change: func(it *fieldlink.Item) { it.MaxRows = MaxRowsLimit }},
		{name: "dependency", change: func(it *fieldlink.Item) {
			it.Request.Path = `/users/${items["Reporter ID"]}?$select=officeLocation`
		}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := validItem()
			tt.change(&it)

			if err := Validate(it); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateRefusesCredentialHeaders(t *testing.T) {
	for _, name := range []string{"Authorization", "authorization", "Cookie", "X-API-Key"} {
		it := readOnlyItem("/users", "${row.id}")
		it.Request.Headers = map[string]string{name: "Bearer SEKRET9"}

		err := Validate(it)

		if err == nil || !strings.Contains(err.Error(), "cannot be set on an item") {
			t.Errorf("header %s: error = %v, want it refused", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "SEKRET9") {
			t.Errorf("header %s: the error shows the value", name)
		}
	}
}
