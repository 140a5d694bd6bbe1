-- Names are unique regardless of the case of the ASCII letters A to Z
-- only, as on SQLite, whose NOCASE collation folds no other letter. lower()
-- under the "C" collation folds exactly those letters whatever the
-- database's locale. The indexes of 0001 used the database's collation,
-- which under a locale such as C.UTF-8 also folds "Ä" to "ä", so PostgreSQL
-- rejected "ärger" beside "Ärger" where SQLite accepted it. The new indexes
-- allow every pair of names that the old ones allowed, so they build on any
-- existing data.

DROP INDEX datasources_name;
CREATE UNIQUE INDEX datasources_name ON datasources (lower(name COLLATE "C"));

DROP INDEX items_name;
CREATE UNIQUE INDEX items_name ON items (lower(name COLLATE "C"));

DROP INDEX hooks_name;
CREATE UNIQUE INDEX hooks_name ON hooks (lower(name COLLATE "C"));
