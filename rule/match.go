package rule

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/expr-lang/expr"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/safeexpr"
)

// Env is the input of a rule's condition: the ticket context and the
// results of the evaluated items.
type Env struct {
	Context fieldlink.TicketContext
	// Items maps an item's name to its result.
	Items map[string]fieldlink.ItemResult
}

// Match returns the first rule, by Position and then Name, whose condition
// is true for env. An empty condition is always true, which makes a default
// rule.
// ok is false when no rule matches. A condition that fails to compile or to
// evaluate stops matching with an error naming the rule.
func Match(rules []fieldlink.Rule, env Env) (r fieldlink.Rule, ok bool, err error) {
	matched, err := match(rules, env, false)
	if err != nil || len(matched) == 0 {
		return fieldlink.Rule{}, false, err
	}
	return matched[0], true, nil
}

// MatchAll returns every rule whose condition is true for env, by Position
// and then Name. Errors are those of Match.
func MatchAll(rules []fieldlink.Rule, env Env) ([]fieldlink.Rule, error) {
	return match(rules, env, true)
}

// InSet returns the rules of the rule set, in their order. The empty name
// is the default set.
func InSet(rules []fieldlink.Rule, set string) []fieldlink.Rule {
	var in []fieldlink.Rule
	for _, r := range rules {
		if r.RuleSet == set {
			in = append(in, r)
		}
	}
	return in
}

func match(rules []fieldlink.Rule, env Env, all bool) ([]fieldlink.Rule, error) {
	vars, err := evaluationEnv(env)
	if err != nil {
		return nil, err
	}

	ordered := slices.Clone(rules)
	slices.SortStableFunc(ordered, func(a, b fieldlink.Rule) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Name, b.Name))
	})

	var matched []fieldlink.Rule
	for _, candidate := range ordered {
		ok, err := conditionIsTrue(candidate.Condition, vars)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", candidate.Name, err)
		}
		if !ok {
			continue
		}
		matched = append(matched, candidate)
		if !all {
			break
		}
	}
	return matched, nil
}

func conditionIsTrue(condition string, vars map[string]any) (bool, error) {
	if condition == "" {
		return true, nil
	}

	program, err := compileCondition(condition)
	if err != nil {
		return false, fmt.Errorf("compile condition %q: %w", condition, err)
	}

	out, err := expr.Run(program, vars)
	if err != nil {
		return false, fmt.Errorf("evaluate condition %q: %w", condition, safeexpr.OneLineError(err))
	}

	result, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q returned %T, not true or false", condition, out)
	}
	return result, nil
}
