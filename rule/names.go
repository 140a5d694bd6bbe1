package rule

import (
	"fmt"
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/safeexpr"
)

// ItemNames returns the names of the items that the rules' conditions and
// action templates refer to as items["Reporter office"], items.office or
// itemValues[…], sorted and without duplicates. It reads the parsed
// expressions, so a name inside a string literal is not taken for a
// reference. An expression that does not parse, or that picks an item by a
// computed name, is an error naming the rule.
func ItemNames(rules []fieldlink.Rule) ([]string, error) {
	var names []string
	for _, r := range rules {
		found, err := conditionItemNames(r.Condition)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		names = append(names, found...)

		err = eachTemplate(r, func(action, src string) error {
			found, err := templateItemNames(src)
			if err != nil {
				return fmt.Errorf("rule %q: %s: %w", r.Name, action, err)
			}
			names = append(names, found...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}

	slices.Sort(names)
	return slices.Compact(names), nil
}

// templateItemNames returns the item names the placeholders of a template
// refer to.
func templateItemNames(src string) ([]string, error) {
	var names []string
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '$' || src[i+1] != '{' {
			continue
		}
		end, err := placeholderEnd(src, i+2)
		if err != nil {
			return nil, fmt.Errorf("placeholder at character %d: %w", i+1, err)
		}

		found, err := conditionItemNames(src[i+2 : end])
		if err != nil {
			return nil, err
		}
		names = append(names, found...)
		i = end
	}
	return names, nil
}

// conditionItemNames returns the item names one condition refers to.
func conditionItemNames(condition string) ([]string, error) {
	if condition == "" {
		return nil, nil
	}

	tree, err := parser.Parse(condition)
	if err != nil {
		return nil, fmt.Errorf("condition: %w", safeexpr.OneLineError(err))
	}

	collector := &itemNameCollector{}
	ast.Walk(&tree.Node, collector)
	if collector.err != nil {
		return nil, collector.err
	}
	return collector.names, nil
}

// itemNameCollector gathers the constant keys of items[…] and itemValues[…].
type itemNameCollector struct {
	names []string
	err   error
}

// Visit records the item name of an items or itemValues member access.
func (c *itemNameCollector) Visit(node *ast.Node) {
	member, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	base, ok := member.Node.(*ast.IdentifierNode)
	if !ok || (base.Value != itemsName && base.Value != itemValuesName) {
		return
	}

	name, ok := member.Property.(*ast.StringNode)
	if !ok {
		if c.err == nil {
			c.err = fmt.Errorf(`condition: %s[…] must name the item with a string, for example %s["Reporter office"], so the item can be evaluated before the rule`, base.Value, base.Value)
		}
		return
	}
	c.names = append(c.names, name.Value)
}
