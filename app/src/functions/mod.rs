//! Server functions: thin wrappers that authorise, then call `backend`.

pub mod auth;
pub mod cases;
pub mod guides;
#[cfg(feature = "console")]
pub mod notify;
pub mod settings;
pub mod visits;
pub mod widget;
pub mod widget_client;
