//! Fixline's domain rules in plain Rust: calendars and service-level clocks,
//! promises, warranty, the case lifecycle and who may do what, guides and
//! their checks, intake validation, holidays and case numbers.
//!
//! This crate depends on serde only, so no framework type can reach it:
//! the server and the browser (WASM) both use it and agree.

pub mod breach;
pub mod calendar;
pub mod case;
pub mod case_number;
pub mod clock;
pub mod embedding;
pub mod guide;
pub mod guide_safety;
pub mod holidays;
pub mod intake;
pub mod lifecycle;
pub mod locale;
pub mod logscan;
pub mod notify;
pub mod problems;
pub mod promise;
pub mod settings;
pub mod terms;
pub mod warranty;
