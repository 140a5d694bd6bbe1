// Package auth signs admins in: Argon2id password hashes, sessions kept in
// a cookie, API tokens with a scope, a limit on failed sign-ins and the
// audit log entries of configuration changes. It stores nothing itself: the
// store/sqlite package implements its Store interfaces.
package auth
