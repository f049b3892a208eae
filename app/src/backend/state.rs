use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::AnyPool;

use crate::errors::AppError;

/// Shared by every request; server functions pull it from context.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: AnyPool,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub live: super::live::Live,
    pub limits: std::sync::Arc<super::limits::Limits>,
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
