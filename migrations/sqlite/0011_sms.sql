-- Text messages to customers (issue 16): the service company's template-SMS
-- account (Aliyun or Tencent Cloud), the customer's opt-in at intake, and
-- an outbox of texts written with the case event that causes each.

CREATE TABLE sms_account (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    provider TEXT NOT NULL CHECK (provider IN ('aliyun', 'tencent')),
    endpoint TEXT NOT NULL,
    -- AccessKeyId / SecretId and the secret: needed in full to sign, never
    -- shown back or logged.
    key_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    sign_name TEXT NOT NULL,
    -- Tencent's SmsSdkAppId (empty for Aliyun).
    app_id TEXT NOT NULL DEFAULT '',
    -- Template ids per message: {"received": "SMS_1", ...}; missing or empty: not sent.
    templates TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

ALTER TABLE cases ADD COLUMN sms_opt_in BIGINT NOT NULL DEFAULT 0;

CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT REFERENCES cases(id),
    event_id BIGINT,
    message TEXT NOT NULL,
    phone TEXT NOT NULL,
    -- Parameters as rendered when the event happened (JSON object).
    params TEXT NOT NULL,
    -- One text per event, however often it is enqueued.
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sms_outbox_due ON sms_outbox(next_at) WHERE status = 'pending';
CREATE INDEX sms_outbox_case ON sms_outbox(case_id);
-- Older texts to a number go first.
CREATE INDEX sms_outbox_waiting ON sms_outbox(phone, id) WHERE status = 'pending';

-- Every try, with the number: the per-number limits count these.
CREATE TABLE sms_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id BIGINT NOT NULL REFERENCES sms_outbox(id),
    phone TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- 0 while the request is out; then 1.
    done BIGINT NOT NULL DEFAULT 0,
    ok BIGINT NOT NULL DEFAULT 0,
    latency_ms BIGINT NOT NULL DEFAULT 0,
    http_status BIGINT NOT NULL DEFAULT 0,
    answer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sms_attempts_phone ON sms_attempts(phone, at);
CREATE INDEX sms_attempts_outbox ON sms_attempts(outbox_id);
