-- Notifications (issue 16): chat-robot channels, a transactional outbox
-- written with the case event that causes a message, every delivery
-- attempt, and the on-duty roster.

CREATE TABLE notify_channels (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'feishu', 'email')),
    name TEXT NOT NULL,
    -- The webhook address and signing secret: needed in full to send, so
    -- kept as given, but never shown back or logged (masked on the way out).
    url TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    -- Subscribed topics, space-separated (`new_case breach …`).
    topics TEXT NOT NULL,
    -- Only this customer organisation's cases (NULL: all).
    org_id BIGINT REFERENCES organisations(id),
    mention_on_duty BIGINT NOT NULL DEFAULT 1,
    language TEXT NOT NULL DEFAULT 'zh-CN',
    active BIGINT NOT NULL DEFAULT 1,
    -- Removed channels stay for the delivery log.
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE notify_outbox (
    id BIGSERIAL PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES notify_channels(id),
    case_id BIGINT REFERENCES cases(id),
    event_id BIGINT,
    topic TEXT NOT NULL,
    -- One message per event and channel, however often it is enqueued.
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    -- A worker that took the message holds it until then (a crashed one
    -- lets it go when the lease runs out).
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_outbox_due ON notify_outbox(next_at) WHERE status = 'pending';
CREATE INDEX notify_outbox_case ON notify_outbox(case_id);

CREATE TABLE notify_attempts (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES notify_outbox(id),
    channel_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL DEFAULT 0,
    http_status BIGINT NOT NULL DEFAULT 0,
    ok BIGINT NOT NULL DEFAULT 0,
    -- The provider's answer (or the transport error), shortened.
    answer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_attempts_channel ON notify_attempts(channel_id, at);
CREATE INDEX notify_attempts_outbox ON notify_attempts(outbox_id);

-- The on-duty roster as CSV lines (`days,start,end,name,phone`): one row.
CREATE TABLE duty_roster (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    csv TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
