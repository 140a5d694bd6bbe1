-- Item fields for select labels, row limits, paging and Jira Automation
-- lookups. Paging is a JSON object in the shape of fieldlink.Paging, '{}'
-- for the default (OData next links). lookup_token_hash is the hex SHA-256
-- of the item's lookup token, '' when the item has none.

ALTER TABLE items ADD COLUMN label_template TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN max_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN paging TEXT NOT NULL DEFAULT '{}';
ALTER TABLE items ADD COLUMN lookup_token_hash TEXT NOT NULL DEFAULT '';
