package item

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// userBody is a Graph user with two properties, so that templates that read
// either give different results.
const userBody = `{"officeLocation": "Paris", "department": "IT"}`

func TestCompiledItemFollowsChanges(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
	tc := ticket("amelie.laurent@fabrikam.example", "")
	it := officeItem(0)

	first, err := engine.Evaluate(context.Background(), it, graphDatasource, tc)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	it.Template = "${row.department}"
	second, err := engine.Evaluate(context.Background(), it, graphDatasource, tc)
	if err != nil {
		t.Fatalf("Evaluate after the template changed: %v", err)
	}

	if first.Text != "Paris" {
		t.Errorf("first evaluation = %q, want Paris", first.Text)
	}
	if second.Text != "IT" {
		t.Errorf("evaluation after the template changed = %q, want IT from the new template", second.Text)
	}
}

func TestCompiledItemInvalidAfterChange(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
	tc := ticket("amelie.laurent@fabrikam.example", "")
	it := officeItem(0)
	if _, err := engine.Evaluate(context.Background(), it, graphDatasource, tc); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}

	it.Request.Path = "users/${reporter.emailAddress}"
	_, err := engine.Evaluate(context.Background(), it, graphDatasource, tc)

	if err == nil {
		t.Fatal("Evaluate of the item with a path without a leading / succeeded, want the compile error")
	}
}

func TestCompiledItemRecompiledOnChange(t *testing.T) {
	tests := []struct {
		name   string
		change func(it *fieldlink.Item)
	}{
		{"name", func(it *fieldlink.Item) { it.Name = "Office" }},
		{"datasource", func(it *fieldlink.Item) { it.DatasourceID = "ds-other" }},
		{"type", func(it *fieldlink.Item) { it.Type = fieldlink.ItemSelect }},
		{"method", func(it *fieldlink.Item) { it.Request.Method = "POST" }},
		{"path", func(it *fieldlink.Item) { it.Request.Path += "&$top=1" }},
		{"header value", func(it *fieldlink.Item) { it.Request.Headers["ConsistencyLevel"] = "session" }},
		{"header removed", func(it *fieldlink.Item) { it.Request.Headers = nil }},
		{"root", func(it *fieldlink.Item) { it.Root = "$.value[*]" }},
		{"template", func(it *fieldlink.Item) { it.Template = "${row.department}" }},
		{"label template", func(it *fieldlink.Item) { it.LabelTemplate = "${row.department}" }},
		{"cache seconds", func(it *fieldlink.Item) { it.CacheSeconds = 30 }},
		{"max rows", func(it *fieldlink.Item) { it.MaxRows = 5 }},
		{"paging", func(it *fieldlink.Item) { it.Paging.Mode = fieldlink.PagingNone }},
		{"lookup token", func(it *fieldlink.Item) { it.LookupTokenHash = "9f86d081" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
			it := officeItem(60)
			it.Request.Headers = map[string]string{"ConsistencyLevel": "eventual"}
			first, err := engine.compile(it)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if again, _ := engine.compile(it); again != first {
				t.Fatal("compile of the unchanged item compiled it again, want the compiled item reused")
			}

			changed := it
			changed.Request.Headers = map[string]string{"ConsistencyLevel": "eventual"}
			tt.change(&changed)
			got, err := engine.compile(changed)
			if err != nil {
				t.Fatalf("compile of the changed item: %v", err)
			}

			if got == first {
				t.Errorf("compile after the %s changed returned the item compiled before", tt.name)
			}
			if !reflect.DeepEqual(got.item, changed) {
				t.Errorf("compiled item holds %+v, want %+v", got.item, changed)
			}
		})
	}
}

func TestCompiledItemDroppedByForget(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
	it := officeItem(60)
	first, err := engine.compile(it)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}

	engine.Forget(it.ID)
	afterForget, _ := engine.compile(it)
	engine.ForgetAll()
	afterForgetAll, _ := engine.compile(it)

	if afterForget == first {
		t.Error("compile after Forget returned the item compiled before")
	}
	if afterForgetAll == afterForget {
		t.Error("compile after ForgetAll returned the item compiled before")
	}
}

func TestCompiledItemSharedConcurrently(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
	it := officeItem(0)

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			result, err := engine.Evaluate(context.Background(), it, graphDatasource, ticket("amelie.laurent@fabrikam.example", ""))
			if err == nil && result.Text != "Paris" {
				err = fmt.Errorf("result %q, want Paris", result.Text)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestSameItemCoversEveryField changes each field of fieldlink.Item, and of
// the structs in it, found by reflection so that a field added later is
// checked too.
func TestSameItemCoversEveryField(t *testing.T) {
	base := func() fieldlink.Item {
		it := officeItem(60)
		it.Request.Headers = map[string]string{"ConsistencyLevel": "eventual"}
		return it
	}
	if !sameItem(base(), base()) {
		t.Fatal("sameItem of two equal items = false, want true")
	}

	var walk func(path []int, typ reflect.Type, name string)
	walk = func(path []int, typ reflect.Type, name string) {
		for i := range typ.NumField() {
			field := typ.Field(i)
			fieldPath := append(append([]int(nil), path...), i)
			fieldName := name + field.Name
			if field.Type.Kind() == reflect.Struct {
				walk(fieldPath, field.Type, fieldName+".")
				continue
			}

			t.Run(fieldName, func(t *testing.T) {
				changed := base()
				value := reflect.ValueOf(&changed).Elem().FieldByIndex(fieldPath)
				switch value.Kind() {
				case reflect.String:
					value.SetString(value.String() + "-changed")
				case reflect.Int:
					value.SetInt(value.Int() + 1)
				case reflect.Map:
					value.SetMapIndex(reflect.ValueOf("Prefer"), reflect.ValueOf("return=minimal"))
				default:
					t.Fatalf("no change defined for a %s: add one here and compare the field in sameItem", value.Type())
				}

				if sameItem(base(), changed) {
					t.Errorf("sameItem = true after %s changed, want false", fieldName)
				}
			})
		}
	}
	walk(nil, reflect.TypeFor[fieldlink.Item](), "")
}
