package item

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/fieldlink/fieldlink/safeexpr"
)

// contextNames are the ticket context variables of an expression.
var contextNames = safeexpr.ContextNames

// Variables beside the ticket context. A display template has row, the
// selected row, or data, the whole decoded response. Every template has
// items and itemValues, the results of the items it depends on.
const (
	rowName        = "row"
	dataName       = "data"
	itemsName      = "items"
	itemValuesName = "itemValues"
)

// expression is a compiled ${…} expression.
type expression struct {
	source  string
	program *vm.Program
	// hasDefault reports whether the expression ends in a `??` default, which
	// lets an empty string through where one is allowed.
	hasDefault bool
	// refs are the expression's references to the results of other items.
	refs references
}

// compileExpression compiles source over the ticket context and the results
// of other items, and over row and data as well when inDisplay is set.
func compileExpression(source string, inDisplay bool) (*expression, error) {
	refs, err := findReferences(source)
	if err != nil {
		return nil, err
	}

	env := types.Map{itemsName: types.Any, itemValuesName: types.Any}
	for _, name := range contextNames {
		env[name] = types.Any
	}
	if inDisplay {
		env[rowName] = types.Any
		env[dataName] = types.Any
	}

	program, err := expr.Compile(source, append(safeexpr.NilSafe(), expr.Env(env))...)
	if err != nil {
		return nil, safeexpr.OneLineError(err)
	}
	if err := safeexpr.CheckUserFields(source); err != nil {
		return nil, err
	}

	top, ok := program.Node().(*ast.BinaryNode)
	return &expression{
		source:     source,
		program:    program,
		hasDefault: ok && top.Operator == "??",
		refs:       refs,
	}, nil
}

// checkDependencies fails with *MissingValueError when the expression reads
// the result of an item that has no value in env and gives no default.
func (x *expression) checkDependencies(env map[string]any) error {
	if x.hasDefault {
		return nil
	}
	for _, ref := range x.refs.items {
		if !hasDependencyValue(env, ref.name) {
			return &MissingValueError{Expr: ref.String()}
		}
	}
	return nil
}

// machines holds expr virtual machines for reuse. A machine resets its
// state at the start of each run, and reusing one saves allocating its
// stack on every evaluation.
var machines = sync.Pool{New: func() any { return &vm.VM{} }}

// evaluate runs the expression over env.
func (x *expression) evaluate(env map[string]any) (any, error) {
	machine := machines.Get().(*vm.VM)
	out, err := machine.Run(x.program, env)
	// The machine would otherwise keep values of env alive until its next
	// run.
	clear(machine.Stack[:cap(machine.Stack)])
	clear(machine.Variables)
	machines.Put(machine)

	if err != nil {
		return nil, fmt.Errorf("evaluate ${%s}: %w", x.source, safeexpr.OneLineError(err))
	}
	return out, nil
}

// decodeJSON decodes one JSON value. Integers become int64 and other numbers
// float64, so they render without exponent noise; a number that fits neither
// stays a json.Number.
func decodeJSON(data []byte) (any, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()

	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil, err
	}
	if rest := bytes.TrimLeft(data[decoder.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("data after the first JSON value")
	}
	return normalizeNumbers(value), nil
}

// normalizeNumbers replaces each json.Number in value, in place, by an int64
// or a float64, and returns value.
func normalizeNumbers(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, element := range v {
			// Only a number changes, so other members are not written back.
			switch element.(type) {
			case json.Number:
				v[key] = normalizeNumbers(element)
			case map[string]any, []any:
				normalizeNumbers(element)
			}
		}
	case []any:
		for i, element := range v {
			v[i] = normalizeNumbers(element)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	return value
}
