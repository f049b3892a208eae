-- Photos taken during a guide walk, before the case exists: held against
-- the organisation and the widget's submission id, and moved onto the case
-- when that submission becomes one. Unclaimed ones are purged after 7 days.
ALTER TABLE attachments ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE attachments ADD COLUMN org_id BIGINT REFERENCES organisations(id);
ALTER TABLE attachments ADD COLUMN submission_id TEXT;
CREATE INDEX attachments_submission ON attachments(org_id, submission_id);
