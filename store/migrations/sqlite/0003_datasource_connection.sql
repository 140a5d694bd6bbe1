-- Connection settings of a datasource: the connect timeout, a private CA
-- bundle, and whether loopback and private network addresses may be
-- reached. The new non-secret auth fields live in the auth JSON column and
-- the new secret ones in auth_sealed, so they need no columns.
--
-- NOTE: datasources stored before this migration get allow_loopback = 0 and
-- allow_private_networks = 0, so one whose base URL or token URL is on
-- loopback or a private network must have the setting turned on by an admin.

ALTER TABLE datasources ADD COLUMN connect_timeout_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datasources ADD COLUMN ca_bundle TEXT NOT NULL DEFAULT '';
ALTER TABLE datasources ADD COLUMN allow_loopback INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datasources ADD COLUMN allow_private_networks INTEGER NOT NULL DEFAULT 0;
