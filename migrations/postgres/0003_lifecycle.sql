-- Case lifecycle and service terms. A case's status, owner, technician and
-- severity are folded from case_events; the columns cache them for the
-- queue and are written in the same transaction as the event.

ALTER TABLE cases ADD COLUMN severity TEXT NOT NULL DEFAULT 'general';
ALTER TABLE cases ADD COLUMN owner_id BIGINT REFERENCES staff_users(id);
ALTER TABLE cases ADD COLUMN technician_id BIGINT REFERENCES staff_users(id);
-- Bumped first by every staff action so concurrent actions on one case
-- run one after the other (row lock on PostgreSQL, write lock on SQLite).
ALTER TABLE cases ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_owner ON cases(owner_id);
CREATE INDEX cases_technician ON cases(technician_id);

-- Business calendars (weekly hours, holidays, make-up workdays) as JSON.
CREATE TABLE service_calendars (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    -- The holiday list as the admin imported it (names kept for editing).
    source TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Per-contract time commitments as JSON; empty means the brief's defaults.
ALTER TABLE organisations ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN calendar_id BIGINT REFERENCES service_calendars(id);
