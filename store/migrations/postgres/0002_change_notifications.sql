-- Every committed change to a datasource, item, rule or hook is announced
-- on the channel fieldlink_changes as "<table>:<id>", so that each replica
-- drops what it cached for that record (see DB.WatchChanges). The trigger
-- covers every writer: the API, the CLI and an import alike.

CREATE FUNCTION fieldlink_notify_change() RETURNS trigger AS $$
DECLARE
    changed_id TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed_id := OLD.id;
    ELSE
        changed_id := NEW.id;
    END IF;
    PERFORM pg_notify('fieldlink_changes', TG_TABLE_NAME || ':' || changed_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER datasources_notify_change AFTER INSERT OR UPDATE OR DELETE ON datasources
    FOR EACH ROW EXECUTE FUNCTION fieldlink_notify_change();
CREATE TRIGGER items_notify_change AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION fieldlink_notify_change();
CREATE TRIGGER rules_notify_change AFTER INSERT OR UPDATE OR DELETE ON rules
    FOR EACH ROW EXECUTE FUNCTION fieldlink_notify_change();
CREATE TRIGGER hooks_notify_change AFTER INSERT OR UPDATE OR DELETE ON hooks
    FOR EACH ROW EXECUTE FUNCTION fieldlink_notify_change();
