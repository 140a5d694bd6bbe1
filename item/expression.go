package item

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/fieldlink/fieldlink"
)

// contextNames are the ticket context variables of an expression, named as
// the JSON fields of fieldlink.TicketContext.
var contextNames = []string{"reporter", "currentUser", "project", "issueType", "requestType", "issue", "userInput"}

// rowName is the variable of a display template that contains the selected
// row.
const rowName = "row"

// fetchFunction reads a member without failing; see nilSafeMembers.
const fetchFunction = "fetch"

// expression is a compiled ${…} expression.
type expression struct {
	source  string
	program *vm.Program
	// hasDefault reports whether the expression ends in a `??` default, which
	// lets an empty string through where one is allowed.
	hasDefault bool
}

// compileExpression compiles source over the ticket context, and over row
// as well when withRow is set.
func compileExpression(source string, withRow bool) (*expression, error) {
	env := types.Map{}
	for _, name := range contextNames {
		env[name] = types.Any
	}
	if withRow {
		env[rowName] = types.Any
	}

	program, err := expr.Compile(source,
		expr.Env(env),
		expr.Function(fetchFunction, fetch, new(func(any, any) any)),
		expr.Patch(nilSafeMembers{}),
	)
	if err != nil {
		return nil, oneLineError(err)
	}

	top, ok := program.Node().(*ast.BinaryNode)
	return &expression{
		source:     source,
		program:    program,
		hasDefault: ok && top.Operator == "??",
	}, nil
}

// evaluate runs the expression over env.
func (x *expression) evaluate(env map[string]any) (any, error) {
	out, err := expr.Run(x.program, env)
	if err != nil {
		return nil, fmt.Errorf("evaluate ${%s}: %w", x.source, oneLineError(err))
	}
	return out, nil
}

// oneLineError returns expr's error without the source snippet that it
// draws under the message, so the message fits on one line of an API
// response or a log record.
func oneLineError(err error) error {
	var fileError *file.Error
	if !errors.As(err, &fileError) {
		return err
	}
	return fmt.Errorf("%s at character %d of the expression", fileError.Message, fileError.Column+1)
}

// nilSafeMembers rewrites each member access whose base has no static type
// (every value that comes from JSON) into a call of fetch. Reading
// reporter.emailAddress of a ticket without a reporter, or row.phones[0] of
// an empty list, then yields nil instead of an evaluation error.
type nilSafeMembers struct{}

// Visit replaces a member access with a call of fetch.
func (nilSafeMembers) Visit(node *ast.Node) {
	member, ok := (*node).(*ast.MemberNode)
	if !ok || member.Method {
		return
	}

	base := member.Node.Type()
	if base != nil && base.Kind() != reflect.Interface {
		return
	}

	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: fetchFunction},
		Arguments: []ast.Node{member.Node, member.Property},
	})
}

// fetch returns the member key of a map or the element at an integer index of
// a list (negative counts from the end), or nil when there is none.
func fetch(params ...any) (any, error) {
	from, key := params[0], params[1]

	switch from := from.(type) {
	case map[string]any:
		name, ok := key.(string)
		if !ok {
			return nil, nil
		}
		return from[name], nil

	case []any:
		index, ok := toIndex(key)
		if !ok {
			return nil, nil
		}
		if index < 0 {
			index += len(from)
		}
		if index < 0 || index >= len(from) {
			return nil, nil
		}
		return from[index], nil
	}
	return nil, nil
}

func toIndex(key any) (int, bool) {
	switch k := key.(type) {
	case int:
		return k, true
	case int64:
		return int(k), true
	case float64:
		if k == float64(int(k)) {
			return int(k), true
		}
	}
	return 0, false
}

// contextEnv returns the ticket context as expression variables. It goes
// through JSON so the names are the JSON field names and every nested value
// is a map, a list or a scalar that fetch can read. Absent fields are nil.
func contextEnv(tc fieldlink.TicketContext) (map[string]any, error) {
	data, err := json.Marshal(tc)
	if err != nil {
		return nil, fmt.Errorf("encode ticket context: %w", err)
	}

	decoded, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decode ticket context: %w", err)
	}

	env := make(map[string]any, len(contextNames)+1)
	fields, _ := decoded.(map[string]any)
	for _, name := range contextNames {
		env[name] = fields[name]
	}
	return env, nil
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
	var extra any
	if err := decoder.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the first JSON value")
	}
	return normalizeNumbers(value), nil
}

func normalizeNumbers(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, element := range v {
			v[key] = normalizeNumbers(element)
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
