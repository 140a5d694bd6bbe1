-- Local admin accounts, their sign-in sessions, API tokens and the audit
-- log of configuration changes.
--
-- password_hash is an Argon2id PHC string. Sessions and API tokens are
-- stored as the hex SHA-256 of their secret, never the secret itself.
-- Times are in the layout of the other time columns; last_used_at is ''
-- for a token never used.

CREATE TABLE admins (
	username      TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	username     TEXT NOT NULL REFERENCES admins (username) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL
);

CREATE INDEX sessions_username ON sessions (username);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	scope        TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_log (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT ''
);
