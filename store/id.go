package store

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// ID prefixes name the kind of record an ID belongs to.
const (
	datasourcePrefix = "ds"
	itemPrefix       = "it"
	rulePrefix       = "ru"
	hookPrefix       = "hk"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix, an underscore and 16 lowercase base32 characters
// (80 random bits), for example "ds_k3v9q2m7x4t1b8n5". The characters are
// URL-safe.
func newID(prefix string) string {
	random := make([]byte, 10)
	rand.Read(random)
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(random))
}
