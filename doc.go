// Package fieldlink holds the domain types shared by every part of fieldlink:
// datasources and their authentication, connected items, routing rules, ticket
// events and their outcomes, and the error type the API maps to HTTP statuses.
//
// It imports only the standard library. Each outside dependency (SQLite, the
// job queue, the HTTP API, upstream HTTP calls) lives in a package of its own.
package fieldlink
