// Package apifuzz fuzzes the REST API through its HTTP handler. It lives
// apart from package httpapi because a fuzzing build instruments every
// package of the test binary, and the tests of httpapi link the SQLite and
// PostgreSQL drivers, which take minutes to build that way.
package apifuzz
