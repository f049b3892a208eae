-- Photos taken during a guide walk, before the case exists: held against
-- the organisation and the widget's submission id, and moved onto the case
-- when that submission becomes one. Unclaimed ones are purged after 7 days.
-- SQLite cannot drop NOT NULL in place, so the table is rebuilt (nothing
-- references it by foreign key).
CREATE TABLE attachments_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT REFERENCES cases(id),
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    org_id BIGINT REFERENCES organisations(id),
    submission_id TEXT
);
INSERT INTO attachments_new (id, case_id, kind, mime, name, size, sha256, data, uploaded_by, created_at)
    SELECT id, case_id, kind, mime, name, size, sha256, data, uploaded_by, created_at FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_case ON attachments(case_id, id);
CREATE INDEX attachments_submission ON attachments(org_id, submission_id);
