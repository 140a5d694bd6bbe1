// Package sqlite stores fieldlink's datasources, items, rules, hooks, events
// and settings in one embedded SQLite file, the default database. River's job
// queue runs on the same file through the pool that SQL returns.
//
// The driver is modernc.org/sqlite, which is pure Go, so fieldlink builds
// without cgo. Secret fields are sealed with package seal before they are
// written and opened when read, with the row's kind and ID as associated data.
//
// Collections read back from the database are nil when empty: a datasource
// stored with an empty Headers map reads back with Headers == nil.
package store
