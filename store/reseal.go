package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/fieldlink/fieldlink/seal"
)

// MasterKeyCheckSetting is the setting that holds a value sealed on the
// first start, which the server opens at every start to check the master
// key.
const MasterKeyCheckSetting = "master_key_check"

// sealedSettings are the settings whose values are sealed: the standard
// base64 of a blob with the associated data "setting:" and the key.
var sealedSettings = []string{MasterKeyCheckSetting}

// sealedColumn is a table column of sealed blobs, with the kind that the
// associated data of its blobs starts with.
type sealedColumn struct {
	kind, table, column string
}

var sealedColumns = []sealedColumn{
	{"datasource", "datasources", "auth_sealed"},
	{"hook", "hooks", "secret_sealed"},
}

// sealedValue is one sealed value read for re-sealing.
type sealedValue struct {
	id   string
	blob []byte
}

// Reseal opens every sealed value in the database (datasource secrets, hook
// secrets and sealed settings) with the database's sealer and seals it again
// with to, which seals under its primary key. It does all of it in one
// transaction, so a failure changes nothing, and returns how many values it
// sealed again. Afterwards it truncates the write-ahead log, which would
// otherwise keep copies of the old blobs until they are overwritten. Space
// freed by updates and deletes is zeroed (secure_delete in dsn), so the
// file keeps no blob under the old keys.
//
// NOTE: on PostgreSQL the old row versions stay in the table files until
// VACUUM reclaims them.
//
// NOTE: a database file written before secure_delete was turned on can keep
// blobs freed back then in free pages until a VACUUM, and Reseal does not
// clear them.
func (db *DB) Reseal(ctx context.Context, to *seal.Sealer) (int, error) {
	if to == nil {
		return 0, errors.New("reseal: sealer is nil")
	}

	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", err)
	}
	defer tx.Rollback()

	count := 0
	for _, c := range sealedColumns {
		n, err := db.resealColumn(ctx, tx, c, to)
		if err != nil {
			return 0, err
		}
		count += n
	}

	for _, key := range sealedSettings {
		n, err := db.resealSetting(ctx, tx, key, to)
		if err != nil {
			return 0, err
		}
		count += n
	}

	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("reseal: commit: %w", err)
	}

	if db.d.name == "sqlite" {
		db.checkpoint(ctx)
	}
	return count, nil
}

// resealColumn seals every non-NULL blob of the column again and returns
// how many it sealed.
func (db *DB) resealColumn(ctx context.Context, tx *txn, c sealedColumn, to *seal.Sealer) (int, error) {
	// Locking the rows makes a concurrent change of a secret wait until
	// Reseal commits, or Reseal wait for it, rather than one overwrite the
	// other.
	values, err := readSealedColumn(ctx, tx, c, db.d.lockRows)
	if err != nil {
		return 0, err
	}

	update := `UPDATE ` + c.table + ` SET ` + c.column + ` = ? WHERE id = ?`
	for _, v := range values {
		aad := associatedData(c.kind, v.id)
		plaintext, err := db.sealer.Open(v.blob, aad)
		if err != nil {
			return 0, fmt.Errorf("reseal %s %s secrets: %w", c.kind, v.id, err)
		}

		sealed, err := to.Seal(plaintext, aad)
		if err != nil {
			return 0, fmt.Errorf("reseal %s %s secrets: %w", c.kind, v.id, err)
		}

		if _, err := tx.ExecContext(ctx, update, sealed, v.id); err != nil {
			return 0, fmt.Errorf("reseal %s %s secrets: %w", c.kind, v.id, err)
		}
	}
	return len(values), nil
}

// readSealedColumn returns the rows with a non-NULL blob in the column. It
// reads them all before any update, so no update runs while rows are open.
// lock ends the query, as the dialect's lockRows does.
func readSealedColumn(ctx context.Context, q rowsQueryer, c sealedColumn, lock string) ([]sealedValue, error) {
	query := `SELECT id, ` + c.column + ` FROM ` + c.table + ` WHERE ` + c.column + ` IS NOT NULL ORDER BY id ` + lock
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read %s secrets: %w", c.kind, err)
	}
	defer rows.Close()

	var values []sealedValue
	for rows.Next() {
		var v sealedValue
		if err := rows.Scan(&v.id, &v.blob); err != nil {
			return nil, fmt.Errorf("read %s secrets: %w", c.kind, err)
		}
		values = append(values, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s secrets: %w", c.kind, err)
	}
	return values, nil
}

// rowsQueryer is the part of *sql.DB and *sql.Tx that runs a query.
type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// resealSetting seals the setting's value again. It returns 0 when the
// setting is not set.
func (db *DB) resealSetting(ctx context.Context, tx *txn, key string, to *seal.Sealer) (int, error) {
	blob, ok, err := readSealedSetting(ctx, tx, key)
	if err != nil || !ok {
		return 0, err
	}

	aad := []byte("setting:" + key)
	plaintext, err := db.sealer.Open(blob, aad)
	if err != nil {
		return 0, fmt.Errorf("reseal setting %s: %w", key, err)
	}

	sealed, err := to.Seal(plaintext, aad)
	if err != nil {
		return 0, fmt.Errorf("reseal setting %s: %w", key, err)
	}

	value := base64.StdEncoding.EncodeToString(sealed)
	if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE key = ?`, value, key); err != nil {
		return 0, fmt.Errorf("reseal setting %s: %w", key, err)
	}
	return 1, nil
}

// readSealedSetting returns the blob of a sealed setting. ok is false when
// the setting is not set.
func readSealedSetting(ctx context.Context, q queryer, key string) (blob []byte, ok bool, err error) {
	var value string
	err = q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read setting %s: %w", key, err)
	}

	blob, err = base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, false, fmt.Errorf("read setting %s: stored value is not base64 of a sealed value", key)
	}
	return blob, true, nil
}

// checkpoint copies the write-ahead log into the database file and
// truncates it, so the log keeps no page written before. A reader in
// another process can keep it from finishing. That is logged and not
// returned, because the re-sealed values are already committed.
func (db *DB) checkpoint(ctx context.Context) {
	var busy, logFrames, checkpointed int
	err := db.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		db.logger.Warn("checkpoint after reseal failed: the write-ahead log may keep old sealed values until the next checkpoint",
			slog.String("path", db.path), slog.Any("error", err))
		return
	}
	if busy != 0 {
		db.logger.Warn("checkpoint after reseal could not finish while another connection reads: the write-ahead log may keep old sealed values until the next checkpoint",
			slog.String("path", db.path))
	}
}

// CountSealedByKeyID returns how many sealed values (datasource secrets, hook
// secrets and sealed settings) were sealed under each key ID, without
// opening them.
func (db *DB) CountSealedByKeyID(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	add := func(what string, blob []byte) error {
		id, err := seal.BlobKeyID(blob)
		if err != nil {
			return fmt.Errorf("count sealed values: %s: %w", what, err)
		}
		counts[id]++
		return nil
	}

	for _, c := range sealedColumns {
		values, err := readSealedColumn(ctx, db.db, c, "")
		if err != nil {
			return nil, fmt.Errorf("count sealed values: %w", err)
		}
		for _, v := range values {
			if err := add(c.kind+" "+v.id, v.blob); err != nil {
				return nil, err
			}
		}
	}

	for _, key := range sealedSettings {
		blob, ok, err := readSealedSetting(ctx, db.db, key)
		if err != nil {
			return nil, fmt.Errorf("count sealed values: %w", err)
		}
		if ok {
			if err := add("setting "+key, blob); err != nil {
				return nil, err
			}
		}
	}
	return counts, nil
}
