package rule

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/fieldlink/fieldlink"
)

// Names of the item variables of a condition.
const (
	itemsName      = "items"
	itemValuesName = "itemValues"
)

// contextNames are the ticket context variables of a condition, named as the
// JSON fields of fieldlink.TicketContext.
var contextNames = []string{"reporter", "currentUser", "project", "issueType", "requestType", "issue", "userInput"}

// fetchFunction reads a member without failing; see nilSafeMembers.
const fetchFunction = "fetch"

// compileCondition compiles a rule's condition. items and itemValues have
// static types, so a condition that is a string, such as items["X"] alone,
// fails here instead of on a ticket.
func compileCondition(condition string) (*vm.Program, error) {
	env := types.Map{
		itemsName:      types.TypeOf(map[string]string{}),
		itemValuesName: types.TypeOf(map[string][]string{}),
	}
	for _, name := range contextNames {
		env[name] = types.Any
	}

	program, err := expr.Compile(condition,
		expr.Env(env),
		expr.AsBool(),
		expr.Function(fetchFunction, fetch, new(func(any, any) any)),
		expr.Patch(nilSafeMembers{}),
	)
	if err != nil {
		return nil, oneLineError(err)
	}
	return program, nil
}

// evaluationEnv returns the variables a condition runs with.
func evaluationEnv(env Env) (map[string]any, error) {
	vars, err := contextVars(env.Context)
	if err != nil {
		return nil, err
	}

	texts := make(map[string]string, len(env.Items))
	values := make(map[string][]string, len(env.Items))
	for name, result := range env.Items {
		texts[name] = result.Text
		values[name] = result.Values
	}
	vars[itemsName] = texts
	vars[itemValuesName] = values
	return vars, nil
}

// contextVars returns the ticket context as variables. It goes through JSON
// so the names are the JSON field names and nested values are maps and
// lists that fetch can read. Absent fields are nil.
func contextVars(tc fieldlink.TicketContext) (map[string]any, error) {
	data, err := json.Marshal(tc)
	if err != nil {
		return nil, fmt.Errorf("encode ticket context: %w", err)
	}

	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("decode ticket context: %w", err)
	}

	vars := make(map[string]any, len(contextNames)+2)
	for _, name := range contextNames {
		vars[name] = fields[name]
	}
	return vars, nil
}

// oneLineError returns expr's error without the source snippet that it
// draws under the message, so the message fits on one line of an API
// response or a log record.
func oneLineError(err error) error {
	var fileError *file.Error
	if !errors.As(err, &fileError) {
		return err
	}
	return fmt.Errorf("%s at character %d", fileError.Message, fileError.Column+1)
}

// nilSafeMembers rewrites each member access whose base has no static type
// (every value of the ticket context) into a call of fetch, so reading
// reporter.emailAddress of a ticket without a reporter yields nil instead of
// an evaluation error. Accesses to items and itemValues keep their types.
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
