package item

import (
	"fmt"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/fieldlink/fieldlink"
)

// result renders the fetched rows into the item's result. For a select item,
// filter reports whether userInput narrows the options.
func (c *compiledItem) result(fetched fetchResult, env map[string]any, userInput string, filter bool) (fieldlink.ItemResult, error) {
	result := fieldlink.ItemResult{Values: []string{}, Rows: len(fetched.rows), Truncated: fetched.truncated}

	switch {
	case c.isSelect():
		options, err := c.options(fetched.rows, env)
		if err != nil {
			return fieldlink.ItemResult{}, err
		}
		if filter {
			options = filterOptions(options, userInput)
		}
		result.Options = options
		for _, option := range options {
			result.Values = append(result.Values, option.Value)
		}

	case c.wholeResponse():
		text, ok, err := c.display.renderWith(dataName, fetched.first, env)
		if err != nil {
			return fieldlink.ItemResult{}, fmt.Errorf("render template of item %q: %w", c.item.Name, err)
		}
		if ok {
			result.Values = append(result.Values, text)
		}

	default:
		for _, row := range fetched.rows {
			text, ok, err := c.display.render(row, env)
			if err != nil {
				return fieldlink.ItemResult{}, fmt.Errorf("render template of item %q: %w", c.item.Name, err)
			}
			if ok {
				result.Values = append(result.Values, text)
			}
		}
	}

	result.Text = strings.Join(result.Values, ", ")
	return result, nil
}

// options renders a select item's options in row order. A row whose value
// renders to nothing is skipped, and a value seen before keeps its first
// label. A label that renders to nothing is the value.
func (c *compiledItem) options(rows []any, env map[string]any) ([]fieldlink.Option, error) {
	options := []fieldlink.Option{}
	seen := map[string]bool{}

	for _, row := range rows {
		value, ok, err := c.display.render(row, env)
		if err != nil {
			return nil, fmt.Errorf("render template of item %q: %w", c.item.Name, err)
		}
		if !ok || seen[value] {
			continue
		}
		seen[value] = true

		label := value
		if c.label != nil {
			text, ok, err := c.label.render(row, env)
			if err != nil {
				return nil, fmt.Errorf("render labelTemplate of item %q: %w", c.item.Name, err)
			}
			if ok {
				label = text
			}
		}
		options = append(options, fieldlink.Option{Value: value, Label: label})
	}
	return options, nil
}

// filterOptions returns the options whose label or value contains input. It
// ignores case by Unicode case folding and compares canonical compositions,
// so a precomposed "É" matches "e" followed by a combining acute accent.
// Accents are not ignored. Blank input matches every option.
func filterOptions(options []fieldlink.Option, input string) []fieldlink.Option {
	needle := foldText(strings.TrimSpace(input))
	if needle == "" {
		return options
	}

	matching := []fieldlink.Option{}
	for _, option := range options {
		if strings.Contains(foldText(option.Label), needle) || strings.Contains(foldText(option.Value), needle) {
			matching = append(matching, option)
		}
	}
	return matching
}

// foldText returns s case-folded (so "STRASSE" matches "Straße") in
// Normalization Form C.
func foldText(s string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
}
