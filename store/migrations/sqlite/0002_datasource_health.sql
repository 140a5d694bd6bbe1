-- Datasource health: what fieldlink last learned about each datasource's
-- connection. It is kept apart from the datasources table so that recording
-- it never changes a datasource's configuration or updated_at, and it goes
-- with its datasource on delete.
--
-- A zero time is stored as NULL.

CREATE TABLE datasource_health (
    datasource_id   TEXT PRIMARY KEY REFERENCES datasources (id) ON DELETE CASCADE,
    last_test_at    TEXT,
    last_success_at TEXT,
    last_error_at   TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    unhealthy       INTEGER NOT NULL DEFAULT 0,
    config_version  TEXT
) STRICT;
