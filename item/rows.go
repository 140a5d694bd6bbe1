package item

import (
	"maps"
	"slices"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"

	"github.com/fieldlink/fieldlink"
)

// compileRoot parses an item's root. An empty root returns nil, which selects
// the whole document as the one row.
func compileRoot(root string) (*jsonpath.Path, error) {
	if strings.TrimSpace(root) == "" {
		return nil, nil
	}

	path, err := jsonpath.Parse(root)
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "root %q is not a valid JSONPath: %v; write one such as $.value[*] or leave it empty for the whole response", root, err)
	}
	return path, nil
}

// selectRows returns the rows that path selects from doc, in the order RFC
// 9535 gives them. Where that order is left open, because a wildcard, a
// filter or a descendant segment goes through an object's members, the
// members are taken in the order of their names. Go's map iteration is
// random, so without that the rows of $.users.* (and the text that joins
// their values) would change from one evaluation to the next.
func selectRows(path *jsonpath.Path, doc any) []any {
	if path == nil {
		return []any{doc}
	}

	rows := []any{doc}
	for _, segment := range path.Query().Segments() {
		next := make([]any, 0, len(rows))
		for _, row := range rows {
			if segment.IsDescendant() {
				next = appendDescendants(next, segment, row, doc)
			} else {
				next = appendSelected(next, segment, row, doc)
			}
		}
		rows = next
	}
	return rows
}

// appendSelected appends to rows what the selectors of segment select from
// node, taking an object's members in the order of their names.
func appendSelected(rows []any, segment *spec.Segment, node, root any) []any {
	object, isObject := node.(map[string]any)
	var names []string

	for _, selector := range segment.Selectors() {
		switch selector := selector.(type) {
		case spec.WildcardSelector:
			if isObject {
				names = sortedNames(object, names)
				for _, name := range names {
					rows = append(rows, object[name])
				}
				continue
			}
		case *spec.FilterSelector:
			if isObject {
				names = sortedNames(object, names)
				for _, name := range names {
					if selector.Eval(object[name], root) {
						rows = append(rows, object[name])
					}
				}
				continue
			}
		}
		rows = append(rows, selector.Select(node, root)...)
	}
	return rows
}

// appendDescendants appends to rows what a descendant segment selects: what
// its selectors select from node, then from each of node's descendants, a
// value before the values inside it (RFC 9535 §2.5.2.2).
func appendDescendants(rows []any, segment *spec.Segment, node, root any) []any {
	rows = appendSelected(rows, segment, node, root)

	switch node := node.(type) {
	case []any:
		for _, child := range node {
			rows = appendDescendants(rows, segment, child, root)
		}
	case map[string]any:
		for _, name := range sortedNames(node, nil) {
			rows = appendDescendants(rows, segment, node[name], root)
		}
	}
	return rows
}

// sortedNames returns the member names of object in order, or names when
// they were sorted already.
func sortedNames(object map[string]any, names []string) []string {
	if names != nil || len(object) == 0 {
		return names
	}
	return slices.Sorted(maps.Keys(object))
}

// displayTemplate is an item's compiled display or label template.
type displayTemplate struct {
	slots []slot
	// usesRow and usesData report whether a placeholder reads row or data.
	usesRow  bool
	usesData bool
}

// compileDisplay compiles an item's display template.
func compileDisplay(src string) (*displayTemplate, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "template is empty; write what each row shows, for example ${row.officeLocation}")
	}
	return compileDisplayField("template", src)
}

// compileDisplayField compiles a display or label template. field names it
// in errors.
func compileDisplayField(field, src string) (*displayTemplate, error) {
	parts, err := splitTemplate(src)
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s %q: %v", field, src, err)
	}

	t := &displayTemplate{}
	for _, p := range parts {
		if !p.isExpr {
			t.slots = append(t.slots, slot{literal: p.literal})
			continue
		}

		x, err := compileExpression(p.expr, true)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s %q: placeholder at position %d: %v", field, src, p.offset+1, err)
		}
		t.slots = append(t.slots, slot{expr: x, place: inDisplay})
		t.usesRow = t.usesRow || x.refs.usesRow
		t.usesData = t.usesData || x.refs.usesData
	}
	return t, nil
}

// wholeResponse reports whether the template reads data and not row, so it
// is rendered once over the whole response instead of once per row.
func (t *displayTemplate) wholeResponse() bool {
	return t.usesData && !t.usesRow
}

// checkDependencies fails with *MissingValueError when a placeholder reads
// the result of an item that has no value in env and gives no default.
func (t *displayTemplate) checkDependencies(env map[string]any) error {
	for _, s := range t.slots {
		if s.expr == nil {
			continue
		}
		if err := s.expr.checkDependencies(env); err != nil {
			return err
		}
	}
	return nil
}

// render renders the template for one row. ok is false when a placeholder
// has no value (missing, null, an empty string or an empty list, without a
// default) or the row renders to no text, so the row yields no value.
func (t *displayTemplate) render(row any, env map[string]any) (text string, ok bool, err error) {
	return t.renderWith(rowName, row, env)
}

// renderWith renders the template with the variable name bound to value: row
// for one row, or data for the whole response. ok is as for render.
func (t *displayTemplate) renderWith(name string, value any, env map[string]any) (text string, ok bool, err error) {
	rowEnv := make(map[string]any, len(env)+1)
	for variable, v := range env {
		rowEnv[variable] = v
	}
	rowEnv[name] = value

	var b strings.Builder
	for _, s := range t.slots {
		if s.expr == nil {
			b.WriteString(s.literal)
			continue
		}

		if err := s.expr.checkDependencies(rowEnv); err != nil {
			return "", false, err
		}
		v, err := s.expr.evaluate(rowEnv)
		if err != nil {
			return "", false, err
		}
		if v == nil || (isEmpty(v) && !s.expr.hasDefault) {
			return "", false, nil
		}

		text, ok := displayText(v)
		if !ok && !(s.expr.hasDefault && isEmpty(v)) {
			return "", false, nil
		}
		b.WriteString(text)
	}

	text = b.String()
	return text, strings.TrimSpace(text) != "", nil
}
