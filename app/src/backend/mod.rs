//! Server-only code: database, sessions, demo data. Compiled with `ssr` only.
//!
//! Layers, lowest first (a module uses only those above it in this list):
//! `group_commit`, `db`, `digest`, `live`, `limits`, `state` · `terms`, `orgs`, `guides`, `guide_bundle`,
//! `auth` · `notify` (channels, roster, outbox, worker) · `events` (lock, load, append) · `schedule`, `present`,
//! `attachments`, `warranty` · `actions`, `reports`, `intake`, `cases`, `case_lookup`,
//! `worklists`, `settings`, `breach`, `demo`.

pub mod actions;
pub mod attachments;
pub mod auth;
pub mod breach;
pub mod case_lookup;
pub mod case_watch;
pub mod cases;
pub mod db;
pub mod demo;
pub mod digest;
pub mod events;
pub mod group_commit;
pub mod guide_bundle;
pub mod guides;
pub mod intake;
pub mod labels;
pub mod limits;
pub mod live;
pub mod notify;
pub mod orgs;
pub mod present;
pub mod reports;
pub mod schedule;
pub mod settings;
pub mod state;
pub mod terms;
pub mod warranty;
pub mod worklists;
