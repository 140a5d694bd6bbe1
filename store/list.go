package store

import "encoding/json"

// marshalList encodes a string list for a JSON array column. A nil list is
// stored as [], like an empty one.
func marshalList(list []string) (string, error) {
	if list == nil {
		list = []string{}
	}
	return marshalJSON(list)
}

// unmarshalList decodes a JSON array column, returning nil for an empty
// array so that what is read back does not depend on what was stored.
func unmarshalList(text string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return nil, err
	}
	return nilIfEmptySlice(list), nil
}
