// Package safeexpr holds what item templates and rule conditions share
// about github.com/expr-lang/expr: the ticket context variables, member
// access that yields nil instead of failing, and one-line error messages.
package safeexpr

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// ContextNames are the ticket context variables of an expression, named as
// the JSON fields of fieldlink.TicketContext.
var ContextNames = []string{"reporter", "currentUser", "project", "issueType", "requestType", "issue", "userInput"}

// fetchFunction reads a member without failing; see nilSafeMembers.
const fetchFunction = "fetch"

// NilSafe returns the compile options that make every member access on an
// untyped value (any value that comes from JSON) yield nil when the member
// or index is absent. Reading reporter.emailAddress of a ticket without a
// reporter, or row.phones[0] of an empty list, then gives nil instead of an
// evaluation error.
func NilSafe() []expr.Option {
	return []expr.Option{
		expr.Function(fetchFunction, fetch, new(func(any, any) any)),
		expr.Patch(nilSafeMembers{}),
	}
}

// OneLineError returns expr's error without the source snippet that it
// draws under the message, so the message fits on one line of an API
// response or a log record.
func OneLineError(err error) error {
	var fileError *file.Error
	if !errors.As(err, &fileError) {
		return err
	}
	return fmt.Errorf("%s at character %d of the expression", fileError.Message, fileError.Column+1)
}

// nilSafeMembers rewrites each member access whose base has no static type
// into a call of fetch. Accesses on typed values keep expr's own checks.
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
