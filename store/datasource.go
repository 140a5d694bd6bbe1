package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
)

var _ fieldlink.DatasourceStore = (*DB)(nil)

const datasourceColumns = `id, name, base_url, api_documentation_url, test_path, headers,
	timeout_seconds, connect_timeout_seconds, ca_bundle, allow_loopback, allow_private_networks,
	auth, auth_sealed, created_at, updated_at`

// selectDatasources reads datasourceColumns and healthColumns, which scanDatasource
// scans. A WHERE or ORDER BY clause may follow.
const selectDatasources = `SELECT ` + datasourceColumns + `, ` + healthColumns + `
	FROM datasources LEFT JOIN datasource_health ON datasource_id = id`

// CreateDatasource stores ds, assigning its ID and timestamps. The auth
// secret fields are sealed before they are written.
func (db *DB) CreateDatasource(ctx context.Context, ds *fieldlink.Datasource) error {
	if err := checkName("datasource", ds.Name); err != nil {
		return err
	}

	row := *ds
	row.ID = newID(datasourcePrefix)
	row.CreatedAt = db.now().UTC()
	row.UpdatedAt = row.CreatedAt
	row.Health = fieldlink.DatasourceHealth{}

	values, err := db.datasourceValues(&row)
	if err != nil {
		return err
	}

	query := `INSERT INTO datasources (` + datasourceColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := db.db.ExecContext(ctx, query, values...); err != nil {
		if isUniqueViolation(err) {
			return nameTaken("datasource", ds.Name)
		}
		return fmt.Errorf("insert datasource %q: %w", ds.Name, err)
	}

	*ds = row
	return nil
}

// FindDatasource returns the datasource with the ID, with its secret fields
// opened and its health loaded, or an ENotFound error.
func (db *DB) FindDatasource(ctx context.Context, id string) (fieldlink.Datasource, error) {
	return cachedRead(db.config, "datasource", id, cloneDatasource, func() (fieldlink.Datasource, error) {
		query := selectDatasources + ` WHERE id = ?`
		ds, err := db.scanDatasource(db.db.QueryRowContext(ctx, query, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fieldlink.Datasource{}, notFound("datasource", id)
		}
		if err != nil {
			return fieldlink.Datasource{}, fmt.Errorf("find datasource %s: %w", id, err)
		}
		return ds, nil
	})
}

// ListDatasources returns all datasources ordered by name, ignoring the
// case of ASCII letters, with their health loaded.
func (db *DB) ListDatasources(ctx context.Context) ([]fieldlink.Datasource, error) {
	query := selectDatasources + ` ORDER BY ` + db.d.nameOrder + `, id`
	return queryList(ctx, db.db, "list datasources", db.scanDatasource, query)
}

// UpdateDatasource replaces the stored datasource with ds.ID. It keeps the
// stored CreatedAt and health, sets UpdatedAt, and copies all three into ds.
// It ignores ds.Health, because only SetDatasourceHealth records health.
func (db *DB) UpdateDatasource(ctx context.Context, ds *fieldlink.Datasource) error {
	if err := checkName("datasource", ds.Name); err != nil {
		return err
	}

	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}
	defer tx.Rollback()

	var (
		createdAt string
		health    healthRow
	)
	query := `SELECT created_at, ` + healthColumns + `
		FROM datasources LEFT JOIN datasource_health ON datasource_id = id WHERE id = ?`
	err = tx.QueryRowContext(ctx, query, ds.ID).Scan(append([]any{&createdAt}, health.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("datasource", ds.ID)
	}
	if err != nil {
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}

	row := *ds
	if row.CreatedAt, err = parseTime(createdAt); err != nil {
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}
	row.UpdatedAt = db.now().UTC()
	if row.Health, err = health.health(); err != nil {
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}

	values, err := db.datasourceValues(&row)
	if err != nil {
		return err
	}

	// values starts with the ID, which goes last in the WHERE clause.
	query = `UPDATE datasources SET name = ?, base_url = ?, api_documentation_url = ?, test_path = ?,
		headers = ?, timeout_seconds = ?, connect_timeout_seconds = ?, ca_bundle = ?, allow_loopback = ?,
		allow_private_networks = ?, auth = ?, auth_sealed = ?, created_at = ?, updated_at = ?
		WHERE id = ?`
	args := append(slices.Clone(values[1:]), values[0])
	result, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		if isUniqueViolation(err) {
			return nameTaken("datasource", ds.Name)
		}
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}
	// On PostgreSQL a delete committed since the SELECT leaves no row.
	if err := requireOneRow(result, "datasource", ds.ID); err != nil {
		return err
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update datasource %s: %w", ds.ID, err)
	}

	*ds = row
	return nil
}

// DeleteDatasource removes the datasource, or fails with EConflict naming
// the items and hooks that use it.
func (db *DB) DeleteDatasource(ctx context.Context, id string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete datasource %s: %w", id, err)
	}
	defer tx.Rollback()

	// Locking the row makes a writer that starts to use the datasource
	// meanwhile wait for this delete and then fail on the foreign key. A
	// writer that started first makes this wait, and is then found below.
	var name string
	err = tx.QueryRowContext(ctx, `SELECT name FROM datasources WHERE id = ? `+db.d.lockRows, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("datasource", id)
	}
	if err != nil {
		return fmt.Errorf("delete datasource %s: %w", id, err)
	}

	users, err := datasourceUsers(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("delete datasource %s: %w", id, err)
	}
	if len(users) > 0 {
		them := "them"
		if len(users) == 1 {
			them = "it"
		}
		return fieldlink.Errorf(fieldlink.EConflict, "datasource %q is used by %s: delete %s or point %s at another datasource first", name, strings.Join(users, ", "), them, them)
	}

	if _, err := tx.ExecContext(ctx, `DELETE FROM datasources WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete datasource %s: %w", id, err)
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete datasource %s: %w", id, err)
	}
	return nil
}

// datasourceUsers returns the items and hooks that use the datasource, as
// `item "Office"` and `hook "Intake"`, items first and each ordered by name
// as the lists order them.
func datasourceUsers(ctx context.Context, tx *txn, id string) ([]string, error) {
	query := `
		SELECT kind, name FROM (
			SELECT 'item' AS kind, name FROM items WHERE datasource_id = ?
			UNION ALL
			SELECT 'hook' AS kind, name FROM hooks WHERE jira_datasource_id = ?
		) AS users
		ORDER BY kind DESC, ` + tx.d.nameOrder
	rows, err := tx.QueryContext(ctx, query, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var users []string
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return nil, err
		}
		users = append(users, fmt.Sprintf("%s %q", kind, name))
	}
	return users, rows.Err()
}

// datasourceValues returns the column values of ds in datasourceColumns
// order, with the auth secrets sealed under ds.ID.
func (db *DB) datasourceValues(ds *fieldlink.Datasource) ([]any, error) {
	headers, err := marshalJSON(nilIfEmptyMap(ds.Headers))
	if err != nil {
		return nil, fmt.Errorf("encode datasource %q headers: %w", ds.Name, err)
	}

	a := ds.Auth
	auth, err := marshalJSON(newAuthColumn(a))
	if err != nil {
		return nil, fmt.Errorf("encode datasource %q auth: %w", ds.Name, err)
	}

	secrets := map[string]string{}
	for name, field := range a.SecretFields() {
		if *field != "" {
			secrets[name] = *field
		}
	}
	sealed, err := db.sealJSON("datasource", ds.ID, secrets)
	if err != nil {
		return nil, err
	}

	return []any{
		ds.ID, ds.Name, ds.BaseURL, ds.APIDocumentationURL, ds.TestPath, headers,
		ds.TimeoutSeconds, ds.ConnectTimeoutSeconds, ds.CABundle, ds.AllowLoopback, ds.AllowPrivateNetworks,
		auth, sealed, formatTime(ds.CreatedAt), formatTime(ds.UpdatedAt),
	}, nil
}

// queryList runs query and scans every row with scan. Errors are prefixed
// with operation, for example "list items".
func queryList[T any](ctx context.Context, db rowsQueryer, operation string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", operation, err)
	}
	defer rows.Close()

	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", operation, err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", operation, err)
	}
	return list, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func (db *DB) scanDatasource(row scanner) (fieldlink.Datasource, error) {
	var (
		ds                   fieldlink.Datasource
		headers, auth        string
		sealed               []byte
		createdAt, updatedAt string
		health               healthRow
	)
	dest := []any{&ds.ID, &ds.Name, &ds.BaseURL, &ds.APIDocumentationURL, &ds.TestPath, &headers,
		&ds.TimeoutSeconds, &ds.ConnectTimeoutSeconds, &ds.CABundle, &ds.AllowLoopback, &ds.AllowPrivateNetworks,
		&auth, &sealed, &createdAt, &updatedAt}
	if err := row.Scan(append(dest, health.dest()...)...); err != nil {
		return fieldlink.Datasource{}, err
	}

	if err := json.Unmarshal([]byte(headers), &ds.Headers); err != nil {
		return fieldlink.Datasource{}, fmt.Errorf("decode datasource %s headers: %w", ds.ID, err)
	}
	ds.Headers = nilIfEmptyMap(ds.Headers)

	var a authColumn
	err := json.Unmarshal([]byte(auth), &a)
	if err != nil {
		return fieldlink.Datasource{}, fmt.Errorf("decode datasource %s auth: %w", ds.ID, err)
	}
	ds.Auth, err = a.auth()
	if err != nil {
		return fieldlink.Datasource{}, fmt.Errorf("decode datasource %s auth: %w", ds.ID, err)
	}

	secrets, err := db.openJSON("datasource", ds.ID, sealed)
	if err != nil {
		return fieldlink.Datasource{}, err
	}
	for name, field := range ds.Auth.SecretFields() {
		*field = secrets[name]
	}

	if ds.CreatedAt, err = parseTime(createdAt); err != nil {
		return fieldlink.Datasource{}, err
	}
	if ds.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return fieldlink.Datasource{}, err
	}
	if ds.Health, err = health.health(); err != nil {
		return fieldlink.Datasource{}, fmt.Errorf("decode datasource %s health: %w", ds.ID, err)
	}
	return ds, nil
}

// checkName rejects an empty or blank name, which could not be
// distinguished in lists and error messages.
func checkName(kind, name string) error {
	if strings.TrimSpace(name) == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "%s name is missing: give the %s a name", kind, kind)
	}
	return nil
}
