package item

import (
	"fmt"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/safeexpr"
)

// reference is one read of another item's result: items["Name"] (its text)
// or itemValues["Name"] (its list of values).
type reference struct {
	variable string
	name     string
}

// String returns the reference as an admin writes it, for example
// items["Manager ID"].
func (r reference) String() string {
	return r.variable + "[" + strconv.Quote(r.name) + "]"
}

// references are the variables an expression reads besides the ticket
// context.
type references struct {
	items    []reference
	usesRow  bool
	usesData bool
}

// findReferences parses source and returns the items it reads and whether it
// reads row or data. The name of an item must be a string literal, so the
// dependencies are known when the item is saved.
func findReferences(source string) (references, error) {
	tree, err := parser.Parse(source)
	if err != nil {
		return references{}, safeexpr.OneLineError(err)
	}

	finder := &referenceFinder{named: map[*ast.IdentifierNode]bool{}}
	ast.Walk(&tree.Node, finder)

	for _, id := range finder.identifiers {
		if !finder.named[id] {
			return references{}, fmt.Errorf(`%s must be followed by an item name in quotes, as in %s["Reporter manager"], at character %d of the expression`,
				id.Value, id.Value, id.Location().From+1)
		}
	}
	return finder.refs, nil
}

// referenceFinder collects the references of an expression tree. named marks
// the items and itemValues identifiers that are indexed by a string literal,
// so any other use of them can be reported.
type referenceFinder struct {
	refs        references
	identifiers []*ast.IdentifierNode
	named       map[*ast.IdentifierNode]bool
}

// Visit records one node.
func (f *referenceFinder) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case rowName:
			f.refs.usesRow = true
		case dataName:
			f.refs.usesData = true
		case itemsName, itemValuesName:
			f.identifiers = append(f.identifiers, n)
		}

	case *ast.MemberNode:
		base, ok := n.Node.(*ast.IdentifierNode)
		if !ok || (base.Value != itemsName && base.Value != itemValuesName) {
			return
		}
		name, ok := n.Property.(*ast.StringNode)
		if !ok || n.Method {
			return
		}
		f.named[base] = true
		f.refs.items = append(f.refs.items, reference{variable: base.Value, name: name.Value})
	}
}

// dependencyEnv returns the items and itemValues variables for the results
// of other items. A result without values is left out, so reading it yields
// nil and a `??` default applies.
func dependencyEnv(results map[string]fieldlink.ItemResult) (texts, lists map[string]any) {
	texts = make(map[string]any, len(results))
	lists = make(map[string]any, len(results))
	for name, result := range results {
		if len(result.Values) == 0 && result.Text != "" {
			// A sample context may give only the text.
			result.Values = []string{result.Text}
		}
		if len(result.Values) == 0 {
			continue
		}

		values := make([]any, len(result.Values))
		for i, value := range result.Values {
			values[i] = value
		}
		texts[name] = result.Text
		lists[name] = values
	}
	return texts, lists
}

// hasDependencyValue reports whether env holds a result with values for the
// item name.
func hasDependencyValue(env map[string]any, name string) bool {
	texts, _ := env[itemsName].(map[string]any)
	_, ok := texts[name]
	return ok
}
