//! Server-only code: database, sessions, demo data. Compiled with `ssr` only.

pub mod auth;
pub mod cases;
pub mod db;
pub mod guides;
pub mod demo;
pub mod state;
