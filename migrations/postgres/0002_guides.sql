-- Guide versions: shipped files and staff imports. A version never changes;
-- a changed guide is a new version. Cases keep the id and version they walked.
CREATE TABLE guides (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_by BIGINT REFERENCES staff_users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);

-- One customer's walk through one guide, for per-guide analytics: where
-- walks end in a self-fix, an escalation, or nothing (abandoned).
CREATE TABLE guide_sessions (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    guide_id TEXT NOT NULL,
    guide_version BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_node TEXT NOT NULL,
    steps BIGINT NOT NULL,
    result TEXT,
    case_id BIGINT REFERENCES cases(id)
);
CREATE INDEX guide_sessions_guide ON guide_sessions(guide_id, guide_version);
