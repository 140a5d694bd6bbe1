package safeexpr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// userFields are the fields of reporter and currentUser, the JSON names of
// fieldlink.User.
var userFields = []string{"accountId", "emailAddress", "displayName"}

// CheckUserFields reports a field of reporter or currentUser that does not
// exist, such as reporter.emailAdress, which would otherwise read as a
// missing value on every ticket. Sources that do not parse are left to the
// compiler's own error.
func CheckUserFields(source string) error {
	tree, err := parser.Parse(source)
	if err != nil {
		return nil
	}

	v := &userFieldVisitor{}
	ast.Walk(&tree.Node, v)
	return v.err
}

type userFieldVisitor struct {
	err error
}

// Visit checks member accesses such as reporter.x and reporter["x"].
func (v *userFieldVisitor) Visit(node *ast.Node) {
	member, ok := (*node).(*ast.MemberNode)
	if !ok || v.err != nil {
		return
	}
	base, ok := member.Node.(*ast.IdentifierNode)
	if !ok || (base.Value != "reporter" && base.Value != "currentUser") {
		return
	}
	property, ok := member.Property.(*ast.StringNode)
	if !ok || slices.Contains(userFields, property.Value) {
		return
	}
	v.err = fmt.Errorf("%s.%s is not a field of %s: use %s", base.Value, property.Value, base.Value, strings.Join(userFields, ", "))
}
