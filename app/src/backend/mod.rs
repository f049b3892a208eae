//! Server-only code: database, sessions, demo data. Compiled with `ssr` only.

pub mod auth;
pub mod breach;
pub mod cases;
pub mod db;
pub mod guides;
pub mod lifecycle;
pub mod limits;
pub mod live;
pub mod schedule;
pub mod service;
pub mod demo;
pub mod state;
pub mod visits;
