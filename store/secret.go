package store

import (
	"encoding/json"
	"fmt"
)

// sealJSON encodes v as JSON and seals it, bound to the row by the
// associated data kind:id. It returns nil, stored as NULL, when v is empty.
func (db *DB) sealJSON(kind, id string, v map[string]string) ([]byte, error) {
	if len(v) == 0 {
		return nil, nil
	}

	plaintext, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s secrets: %w", kind, id, err)
	}

	sealed, err := db.sealer.Seal(plaintext, associatedData(kind, id))
	if err != nil {
		return nil, fmt.Errorf("seal %s %s secrets: %w", kind, id, err)
	}
	return sealed, nil
}

// openJSON opens a blob written by sealJSON for the same row. A NULL blob
// opens to an empty map.
func (db *DB) openJSON(kind, id string, sealed []byte) (map[string]string, error) {
	if sealed == nil {
		return nil, nil
	}

	plaintext, err := db.sealer.Open(sealed, associatedData(kind, id))
	if err != nil {
		return nil, fmt.Errorf("open %s %s secrets: %w", kind, id, err)
	}

	var v map[string]string
	if err := json.Unmarshal(plaintext, &v); err != nil {
		// The JSON error could quote the plaintext, so it is not wrapped.
		return nil, fmt.Errorf("decode %s %s secrets: opened value is not a JSON object of strings", kind, id)
	}
	return v, nil
}

func associatedData(kind, id string) []byte {
	return []byte(kind + ":" + id)
}
