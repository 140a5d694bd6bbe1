-- The audit log says in words what each entry changed, for example
-- "rotated the client secret of datasource "Microsoft Graph"". It names
-- secrets but never holds their values. Entries written before this
-- migration have no detail.

ALTER TABLE audit_log ADD COLUMN detail TEXT NOT NULL DEFAULT '';
