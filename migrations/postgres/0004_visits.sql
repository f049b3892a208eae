-- Warranty terms beyond the basic one, and files attached to cases
-- (photos from the customer or the technician, the customer's signature).

-- The manufacturer's term (months) wins when longer.
ALTER TABLE assets ADD COLUMN manufacturer_months BIGINT;
-- Per-component terms as JSON, e.g. [["main_unit", 36], ["parts", 12]].
ALTER TABLE assets ADD COLUMN component_terms TEXT NOT NULL DEFAULT '';

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    -- 'photo' or 'signature'
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    -- 'customer' or 'staff:ID', as case_events.actor
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, id);
