use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::AnyPool;

use std::net::{IpAddr, Ipv4Addr};

use super::limits::{self, Caller, Class};
use crate::errors::AppError;

/// Shared by every request; server functions pull it from context.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: AnyPool,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub live: super::live::Live,
    pub limits: std::sync::Arc<limits::Limits>,
    /// Sends notifications (the worker's, and "send a test").
    pub notify: super::notify::send::Sender,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

pub fn pool() -> Result<AnyPool, AppError> {
    Ok(app_state()?.pool)
}

/// Request headers of the current server function call or page render.
pub fn request_headers() -> http::HeaderMap {
    use_context::<http::request::Parts>().map(|p| p.headers).unwrap_or_default()
}

/// The current request's client address and the server's limits, for
/// server functions (from the context leptos_axum provides); `client` is
/// the widget's client id, sent as an argument (empty when unknown).
pub fn check_limit(class: Class, org_key: &str, client: &str) -> Result<(), AppError> {
    let state = app_state()?;
    // Always there for requests leptos_axum serves; without it (a render
    // outside a request) the call counts against the unknown address.
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return state.limits.check(class, Caller::widget(IpAddr::V4(Ipv4Addr::UNSPECIFIED), client), org_key);
    };
    let ip = limits::client_ip(&parts.headers, &parts.extensions, state.limits.config().trust_forwarded_for);
    state.limits.check(class, Caller::widget(ip, client), org_key)
}
