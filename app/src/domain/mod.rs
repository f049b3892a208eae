//! Domain rules in plain Rust: no framework types, compiled into both the
//! server and the WASM widget so the browser and the server agree.

pub mod breach;
pub mod calendar;
pub mod case_number;
pub mod clock;
pub mod embedding;
pub mod guide;
pub mod guide_safety;
pub mod holidays;
pub mod intake;
pub mod lifecycle;
pub mod logscan;
pub mod promise;
pub mod warranty;
