-- The texts the public form causes ("received") are capped per customer
-- organisation a day (the form can name any number): each try records
-- whose case it was for.
ALTER TABLE sms_attempts ADD COLUMN org_id BIGINT;
CREATE INDEX sms_attempts_org ON sms_attempts(org_id, at);

-- Delivered and failed messages are deleted after the retention period.
CREATE INDEX notify_outbox_age ON notify_outbox(created_at);
CREATE INDEX sms_outbox_age ON sms_outbox(created_at);

-- A burst to one robot goes as one message: every message of it gets its
-- try recorded, but only one try counts against the robot's per-minute limit.
ALTER TABLE notify_attempts ADD COLUMN counted BIGINT NOT NULL DEFAULT 1;
