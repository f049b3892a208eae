-- Foundation schema. Timestamps are milliseconds since the Unix epoch (UTC);
-- flags are 0/1 integers, so the same queries run on SQLite and PostgreSQL.

CREATE TABLE companies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    hotline TEXT NOT NULL
);

CREATE TABLE organisations (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    widget_key TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at BIGINT NOT NULL
);

CREATE TABLE sites (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    zone TEXT NOT NULL
);

CREATE TABLE assets (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    site_id BIGINT NOT NULL REFERENCES sites(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    commissioned_on TEXT NOT NULL,
    warranty_months BIGINT NOT NULL
);
CREATE INDEX assets_org ON assets(org_id);

CREATE TABLE staff_users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'dispatcher', 'technician')),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    submission_id TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    symptom TEXT NOT NULL,
    status TEXT NOT NULL,
    guide_id TEXT NOT NULL,
    guide_version BIGINT NOT NULL,
    steps TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, submission_id)
);
CREATE INDEX cases_status_created ON cases(status, created_at);

-- A case can be followed by several browser tokens (a retried submission
-- gets a fresh one); only their SHA-256 is stored.
CREATE TABLE case_access_tokens (
    token_hash TEXT PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    created_at BIGINT NOT NULL
);

-- Append-only history of a case; clocks are derived from it later.
CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);
