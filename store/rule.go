package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.RuleStore = (*DB)(nil)

const ruleColumns = `id, name, position, condition, fields, rule_set, add_labels, comment, comment_internal, request_participants`

// CreateRule stores r, assigning its ID. Rule names need not be unique.
func (db *DB) CreateRule(ctx context.Context, r *fieldlink.Rule) error {
	row := *r
	row.ID = newID(rulePrefix)

	values, err := ruleValues(&row)
	if err != nil {
		return err
	}

	query := `INSERT INTO rules (` + ruleColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := db.db.ExecContext(ctx, query, values...); err != nil {
		return fmt.Errorf("insert rule %q: %w", r.Name, err)
	}

	*r = row
	return nil
}

// FindRule returns the rule with the ID, or an ENotFound error.
func (db *DB) FindRule(ctx context.Context, id string) (fieldlink.Rule, error) {
	query := `SELECT ` + ruleColumns + ` FROM rules WHERE id = ?`
	r, err := scanRule(db.db.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fieldlink.Rule{}, notFound("rule", id)
	}
	if err != nil {
		return fieldlink.Rule{}, fmt.Errorf("find rule %s: %w", id, err)
	}
	return r, nil
}

// ListRules returns all rules of every rule set ordered by Position, then
// name.
func (db *DB) ListRules(ctx context.Context) ([]fieldlink.Rule, error) {
	return cachedRead(db.config, "rules", "", cloneRules, func() ([]fieldlink.Rule, error) {
		query := `SELECT ` + ruleColumns + ` FROM rules ORDER BY position, name ` + db.d.binaryCollation + `, id`
		return queryList(ctx, db.db, "list rules", scanRule, query)
	})
}

// ListRulesInSet returns the rules of one rule set ordered by Position,
// then name. The empty name is the default set.
func (db *DB) ListRulesInSet(ctx context.Context, ruleSet string) ([]fieldlink.Rule, error) {
	query := `SELECT ` + ruleColumns + ` FROM rules WHERE rule_set = ? ORDER BY position, name ` + db.d.binaryCollation + `, id`
	return queryList(ctx, db.db, fmt.Sprintf("list rules of set %q", ruleSet), scanRule, query, ruleSet)
}

// UpdateRule replaces the stored rule with r.ID.
func (db *DB) UpdateRule(ctx context.Context, r *fieldlink.Rule) error {
	values, err := ruleValues(r)
	if err != nil {
		return err
	}

	// values starts with the ID, which goes last here.
	query := `UPDATE rules SET name = ?, position = ?, condition = ?, fields = ?, rule_set = ?,
		add_labels = ?, comment = ?, comment_internal = ?, request_participants = ? WHERE id = ?`
	args := append(slices.Clone(values[1:]), values[0])
	result, err := db.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update rule %s: %w", r.ID, err)
	}
	return requireOneRow(result, "rule", r.ID)
}

// DeleteRule removes the rule with the ID.
func (db *DB) DeleteRule(ctx context.Context, id string) error {
	result, err := db.db.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete rule %s: %w", id, err)
	}
	return requireOneRow(result, "rule", id)
}

// ruleValues returns the column values of r in ruleColumns order. Fields is
// stored as one JSON object, so each field value is stored compacted:
// {"value": "x"} reads back as {"value":"x"}.
func ruleValues(r *fieldlink.Rule) ([]any, error) {
	fields, err := marshalJSON(nilIfEmptyMap(r.Fields))
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "rule %q: fields are not valid JSON values: %v", r.Name, err)
	}
	labels, err := marshalList(r.AddLabels)
	if err != nil {
		return nil, fmt.Errorf("encode rule %q labels: %w", r.Name, err)
	}
	participants, err := marshalList(r.RequestParticipants)
	if err != nil {
		return nil, fmt.Errorf("encode rule %q request participants: %w", r.Name, err)
	}
	return []any{r.ID, r.Name, r.Position, r.Condition, fields, r.RuleSet, labels, r.Comment, r.CommentInternal, participants}, nil
}

func scanRule(row scanner) (fieldlink.Rule, error) {
	var (
		r            fieldlink.Rule
		fields       string
		labels       string
		participants string
	)
	err := row.Scan(&r.ID, &r.Name, &r.Position, &r.Condition, &fields, &r.RuleSet, &labels, &r.Comment, &r.CommentInternal, &participants)
	if err != nil {
		return fieldlink.Rule{}, err
	}

	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return fieldlink.Rule{}, fmt.Errorf("decode rule %s fields: %w", r.ID, err)
	}
	r.Fields = nilIfEmptyMap(r.Fields)

	if r.AddLabels, err = unmarshalList(labels); err != nil {
		return fieldlink.Rule{}, fmt.Errorf("decode rule %s labels: %w", r.ID, err)
	}
	if r.RequestParticipants, err = unmarshalList(participants); err != nil {
		return fieldlink.Rule{}, fmt.Errorf("decode rule %s request participants: %w", r.ID, err)
	}
	return r, nil
}
