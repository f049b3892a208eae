//! Fixline: the shared Leptos application (widget and console), its server
//! functions and the domain rules used on both sides.

// Deep view types (the console pages) need more than the default 128.
#![recursion_limit = "256"]

#[cfg(feature = "console")]
pub mod app;
pub mod components;
pub mod document;
pub mod errors;
pub mod functions;
pub mod i18n;
pub mod language;
pub mod models;
pub mod routes;
pub mod widget_app;
mod widget_loader;

#[cfg(feature = "ssr")]
pub mod backend;

/// The domain rules (their own crate), under the name the app uses.
pub use ::domain;
#[cfg(feature = "console")]
pub use app::{shell, App};
