-- Dependability (issue 14).
-- The queue and the breach job read a case's next deadline from its row
-- (kept up to date whenever an event is appended), so they sort, page and
-- select in SQL with an index instead of computing every open case's clocks.
-- NULL means "not computed yet": the server fills those in at start.
ALTER TABLE cases ADD COLUMN next_deadline_ms BIGINT;
-- When the breach job must look at the case next (NULL: nothing to raise).
ALTER TABLE cases ADD COLUMN breach_check_at BIGINT;
-- SHA-256 of what was submitted, so a replayed submission id gets the
-- receipt only when it carries the same report.
ALTER TABLE cases ADD COLUMN submission_digest TEXT;
CREATE INDEX cases_queue ON cases(next_deadline_ms, id)
    WHERE status IN ('escalated', 'acknowledged', 'dispatched', 'on_site');
CREATE INDEX cases_breach_check ON cases(breach_check_at) WHERE breach_check_at IS NOT NULL;
CREATE INDEX cases_unscheduled ON cases(id) WHERE next_deadline_ms IS NULL;
CREATE INDEX cases_org_created ON cases(org_id, created_at);
CREATE INDEX attachments_unclaimed ON attachments(org_id, created_at) WHERE case_id IS NULL;

-- Per-organisation cap on cases a day (NULL: the server's default).
ALTER TABLE organisations ADD COLUMN daily_case_cap BIGINT;

-- Failed sign-ins per (client address, username), for growing delays
-- instead of an account lockout anyone could trigger. The key is a hash.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
