-- One-off data upgrades done in Rust at start (they need code the database
-- lacks, such as SHA-256 on SQLite), so each runs once, not on every start.
CREATE TABLE upgrades (
    name TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);
