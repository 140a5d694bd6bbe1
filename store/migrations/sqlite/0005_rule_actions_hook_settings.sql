-- Rule sets and the rule actions beyond fields, hook settings, and indexes
-- for listing events by status, issue and hook.
--
-- List columns (add_labels, request_participants, project_keys, events)
-- are JSON arrays, '[]' when empty. automation_token_hash is the hex
-- SHA-256 of the hook's Jira Automation token, '' when the hook has none.
-- Rules and hooks stored before this migration land in the default rule set
-- ('') and keep their behaviour: first matching rule, issue_created only.

ALTER TABLE rules ADD COLUMN rule_set TEXT NOT NULL DEFAULT '';
ALTER TABLE rules ADD COLUMN add_labels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE rules ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE rules ADD COLUMN comment_internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rules ADD COLUMN request_participants TEXT NOT NULL DEFAULT '[]';

CREATE INDEX rules_rule_set_position ON rules (rule_set, position);

ALTER TABLE hooks ADD COLUMN project_keys TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hooks ADD COLUMN rule_set TEXT NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN match_all INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hooks ADD COLUMN events TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hooks ADD COLUMN email_fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN automation_token_hash TEXT NOT NULL DEFAULT '';

CREATE INDEX events_status_id ON events (status, id);
CREATE INDEX events_issue_key_id ON events (issue_key, id);
CREATE INDEX events_hook_id_id ON events (hook_id, id);
