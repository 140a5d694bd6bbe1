package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// postgresKeywords are the libpq connection keywords that mark a
// keyword/value connection string such as "host=db dbname=fieldlink".
var postgresKeywords = []string{"host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "service"}

// keywordPassword finds the password of a keyword/value connection string,
// quoted or not.
var keywordPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// IsPostgresURL reports whether database names a PostgreSQL server rather
// than an SQLite file: a postgres:// or postgresql:// URL, the scheme in any
// case, or a libpq keyword/value string such as "host=db dbname=fieldlink".
func IsPostgresURL(database string) bool {
	scheme, _, ok := strings.Cut(strings.TrimSpace(database), "://")
	if ok {
		scheme = strings.ToLower(scheme)
		return scheme == "postgres" || scheme == "postgresql"
	}
	return isKeywordValue(database)
}

// isKeywordValue reports whether database starts with a libpq keyword and
// an equals sign.
func isKeywordValue(database string) bool {
	key, _, ok := strings.Cut(strings.TrimSpace(database), "=")
	if !ok {
		return false
	}
	key = strings.ToLower(strings.TrimSpace(key))
	for _, k := range postgresKeywords {
		if key == k {
			return true
		}
	}
	return false
}

// CheckDatabaseName rejects a URL whose scheme is neither PostgreSQL's nor
// absent, so that a typo such as postgress:// is not taken for a file path.
// Open checks it too, but a caller that creates the SQLite file before
// Open must call it first.
func CheckDatabaseName(database string) error {
	scheme, _, ok := strings.Cut(strings.TrimSpace(database), "://")
	if !ok {
		return nil
	}
	if ambiguousURL(database) {
		return fmt.Errorf("invalid database URL: it contains a # or more than one @, so the password cannot be separated from the host: percent-encode @ : / ? # in the user name and password (@ as %%40, # as %%23)")
	}
	if IsPostgresURL(database) {
		return nil
	}
	return fmt.Errorf("database %s: the scheme %q is not supported: use postgres://user:password@host:5432/database for PostgreSQL, or the path of an SQLite file", RedactDatabase(database), scheme)
}

// ambiguousURL reports a URL whose user information holds an unescaped @
// or #, so that the password cannot be separated from the rest.
func ambiguousURL(database string) bool {
	rest := database
	if _, after, ok := strings.Cut(database, "://"); ok {
		rest = after
	}
	return strings.Contains(rest, "#") || strings.Count(rest, "@") > 1
}

// RedactDatabase returns database for messages and logs, with any password
// replaced by xxxxx: in a URL's user information or password query
// parameter, or in a keyword/value string. A file path is returned as it
// is.
func RedactDatabase(database string) string {
	if isKeywordValue(database) {
		return keywordPassword.ReplaceAllString(database, "${1}xxxxx")
	}
	if !strings.Contains(database, "://") {
		return database
	}

	u, err := url.Parse(strings.TrimSpace(database))
	if err != nil || ambiguousURL(database) {
		return "(a database URL that does not parse)"
	}
	query := u.Query()
	for key := range query {
		if strings.EqualFold(key, "password") {
			query[key] = []string{"xxxxx"}
		}
	}
	u.RawQuery = query.Encode()
	return u.Redacted()
}

// passwordOf returns the password that database carries, or "".
func passwordOf(database string) string {
	if isKeywordValue(database) {
		match := keywordPassword.FindStringSubmatch(database)
		if match == nil {
			return ""
		}
		return strings.Trim(match[2], "'")
	}

	u, err := url.Parse(strings.TrimSpace(database))
	if err != nil {
		return ""
	}
	if password, ok := u.User.Password(); ok {
		return password
	}
	for key, values := range u.Query() {
		if strings.EqualFold(key, "password") && len(values) > 0 {
			return values[0]
		}
	}
	return ""
}

// redactError returns err's text without the password of database, in
// case the driver quoted it.
func redactError(err error, database string) string {
	text := err.Error()
	if password := passwordOf(database); password != "" {
		text = strings.ReplaceAll(text, password, "xxxxx")
	}
	return text
}

// DefaultPoolSize is how many connections a replica's pool opens at most
// when the URL sets no pool_max_conns: enough for the queue's workers and
// the API at once. pgx's own default, the greater of 4 and the CPU count,
// is too small on a small machine and follows the node, not the container.
const DefaultPoolSize = 10

// urlProblem returns what Go's URL parser finds wrong with database, such
// as an invalid port, without the URL itself, which may hold a password.
func urlProblem(database string) string {
	_, err := url.Parse(strings.TrimSpace(database))
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return ""
	}
	return " (" + urlErr.Err.Error() + ")"
}

// connectPostgres opens a pool on the PostgreSQL server that database
// names, pings it, and returns it with the redacted name.
func connectPostgres(ctx context.Context, database string) (*pgxpool.Pool, string, error) {
	name := RedactDatabase(database)

	cfg, err := pgxpool.ParseConfig(strings.TrimSpace(database))
	if err != nil {
		// The driver's message can quote a part of a password that a stray
		// @, : or / cut, so it is left out.
		return nil, name, fmt.Errorf("database %s does not parse as a PostgreSQL URL%s: use postgres://user:password@host:5432/database, and percent-encode @ : / ? # in the user name and password (@ as %%40)", name, urlProblem(database))
	}
	if !strings.Contains(database, "pool_max_conns") {
		cfg.MaxConns = DefaultPoolSize
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "fieldlink"
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, name, fmt.Errorf("connect to database %s: %s", name, redactError(err, database))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, name, fmt.Errorf("connect to database %s: %s: check that the server runs, that the URL names the right host, port, user and database, and that the user may connect", name, redactError(err, database))
	}
	return pool, name, nil
}
