package rule

import (
	"encoding/json"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/safeexpr"
)

// Names of the item variables of a condition.
const (
	itemsName      = "items"
	itemValuesName = "itemValues"
)

// contextNames are the ticket context variables of a condition.
var contextNames = safeexpr.ContextNames

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

	program, err := expr.Compile(condition, append(safeexpr.NilSafe(), expr.Env(env), expr.AsBool())...)
	if err != nil {
		return nil, safeexpr.OneLineError(err)
	}
	if err := safeexpr.CheckUserFields(condition); err != nil {
		return nil, err
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
