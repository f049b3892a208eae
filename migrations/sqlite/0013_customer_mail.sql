-- E-mail to customers (issue 16): the address a customer may give at
-- intake, the language they reported in (their messages use it), and an
-- outbox of e-mails written with the case event that causes each.

ALTER TABLE cases ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN locale TEXT NOT NULL DEFAULT 'zh-CN';

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT REFERENCES cases(id),
    -- Whose case it was for: the per-organisation daily cap counts these.
    org_id BIGINT,
    event_id BIGINT,
    message TEXT NOT NULL,
    address TEXT NOT NULL,
    locale TEXT NOT NULL,
    -- Parameters as rendered when the event happened (JSON object).
    params TEXT NOT NULL,
    -- One e-mail per event, however often it is enqueued.
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_case ON mail_outbox(case_id);
CREATE INDEX mail_outbox_age ON mail_outbox(created_at);
-- The daily limits: per address, and new reporters' per organisation.
CREATE INDEX mail_outbox_address ON mail_outbox(address, created_at);
CREATE INDEX mail_outbox_org ON mail_outbox(org_id, created_at);

-- Every try: when, how long, and the relay's answer.
CREATE TABLE mail_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id BIGINT NOT NULL REFERENCES mail_outbox(id),
    at BIGINT NOT NULL,
    -- 0 while the mail is out; then 1.
    done BIGINT NOT NULL DEFAULT 0,
    ok BIGINT NOT NULL DEFAULT 0,
    latency_ms BIGINT NOT NULL DEFAULT 0,
    smtp_code BIGINT NOT NULL DEFAULT 0,
    answer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_attempts_outbox ON mail_attempts(outbox_id);
