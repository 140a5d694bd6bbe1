package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
)

// healthColumns are the datasource_health columns read with a datasource,
// through a LEFT JOIN, so all of them are NULL for a datasource never
// checked.
const healthColumns = `last_test_at, last_success_at, last_error_at, last_error, unhealthy, config_version`

// SetDatasourceHealth records the health of the datasource with the ID,
// replacing the earlier record. It does not change the datasource's
// configuration or UpdatedAt. It fails with ENotFound when the datasource
// does not exist.
func (db *DB) SetDatasourceHealth(ctx context.Context, id string, h fieldlink.DatasourceHealth) error {
	const upsert = `INSERT INTO datasource_health (datasource_id, ` + healthColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (datasource_id) DO UPDATE SET
			last_test_at = excluded.last_test_at,
			last_success_at = excluded.last_success_at,
			last_error_at = excluded.last_error_at,
			last_error = excluded.last_error,
			unhealthy = excluded.unhealthy,
			config_version = excluded.config_version`

	_, err := db.db.ExecContext(ctx, upsert, id,
		nullTime(h.LastTestAt), nullTime(h.LastSuccessAt), nullTime(h.LastErrorAt),
		h.LastError, h.Unhealthy, nullTime(h.ConfigVersion))
	if isForeignKeyViolation(err) {
		return notFound("datasource", id)
	}
	if err != nil {
		return fmt.Errorf("set datasource %s health: %w", id, err)
	}
	return nil
}

// healthRow receives the healthColumns of one row.
type healthRow struct {
	lastTestAt, lastSuccessAt, lastErrorAt sql.NullString
	lastError                              sql.NullString
	unhealthy                              sql.NullBool
	configVersion                          sql.NullString
}

// dest returns the scan destinations in healthColumns order.
func (r *healthRow) dest() []any {
	return []any{&r.lastTestAt, &r.lastSuccessAt, &r.lastErrorAt, &r.lastError, &r.unhealthy, &r.configVersion}
}

func (r *healthRow) health() (fieldlink.DatasourceHealth, error) {
	var (
		h   fieldlink.DatasourceHealth
		err error
	)
	if h.LastTestAt, err = parseNullTime(r.lastTestAt); err != nil {
		return h, err
	}
	if h.LastSuccessAt, err = parseNullTime(r.lastSuccessAt); err != nil {
		return h, err
	}
	if h.LastErrorAt, err = parseNullTime(r.lastErrorAt); err != nil {
		return h, err
	}
	if h.ConfigVersion, err = parseNullTime(r.configVersion); err != nil {
		return h, err
	}
	h.LastError = r.lastError.String
	h.Unhealthy = r.unhealthy.Bool
	return h, nil
}

// nullTime returns NULL for the zero time and the stored form otherwise.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

// parseNullTime reads a time written by nullTime.
func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}
