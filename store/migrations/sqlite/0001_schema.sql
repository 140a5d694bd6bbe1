-- Datasources, items, rules, hooks, events and settings.
--
-- Times are TEXT in UTC with a fixed nine-digit fraction
-- (2006-01-02T15:04:05.000000000Z), so they sort as text.
-- Secret fields live only in the *_sealed BLOB columns, sealed by package
-- seal with the row's kind and ID as associated data.

CREATE TABLE datasources (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL COLLATE NOCASE UNIQUE,
    base_url              TEXT NOT NULL,
    api_documentation_url TEXT NOT NULL DEFAULT '',
    test_path             TEXT NOT NULL DEFAULT '',
    headers               TEXT NOT NULL DEFAULT '{}',
    timeout_seconds       INTEGER NOT NULL DEFAULT 0,
    auth                  TEXT NOT NULL DEFAULT '{}',
    auth_sealed           BLOB,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE TABLE items (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
    datasource_id TEXT NOT NULL REFERENCES datasources (id),
    type          TEXT NOT NULL,
    request       TEXT NOT NULL DEFAULT '{}',
    root          TEXT NOT NULL DEFAULT '',
    template      TEXT NOT NULL DEFAULT '',
    cache_seconds INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX items_datasource_id ON items (datasource_id);

CREATE TABLE rules (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    condition TEXT NOT NULL DEFAULT '',
    fields    TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE hooks (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL COLLATE NOCASE UNIQUE,
    jira_datasource_id TEXT REFERENCES datasources (id),
    secret_sealed      BLOB
) STRICT;

CREATE INDEX hooks_jira_datasource_id ON hooks (jira_datasource_id);

-- Events keep no foreign key to hooks: they are a log that outlives a
-- deleted hook.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id     TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',
    issue_key   TEXT NOT NULL DEFAULT '',
    payload     BLOB NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL,
    outcome     TEXT
) STRICT;

CREATE UNIQUE INDEX events_hook_id_delivery_id ON events (hook_id, delivery_id);
CREATE INDEX events_received_at ON events (received_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
