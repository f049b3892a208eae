//! Domain rules in plain Rust: no framework types, compiled into both the
//! server and the WASM widget so the browser and the server agree.

pub mod case_number;
pub mod guide;
pub mod intake;
