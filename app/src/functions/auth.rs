use leptos::prelude::*;

use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::errors::{Field, FieldError, Problem};
use crate::models::StaffUser;

/// Signs a staff member in: sets the session cookie and goes to the queue.
#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use crate::backend::{auth, state};
    use http::header::{HeaderValue, SET_COOKIE};

    let username = username.trim();
    let mut errors = Vec::new();
    if username.is_empty() {
        errors.push(FieldError { field: Field::Username, problem: Problem::Required });
    }
    if password.is_empty() {
        errors.push(FieldError { field: Field::Password, problem: Problem::Required });
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    if username.len() > 64 || password.len() > 1024 {
        return Err(AppError::WrongCredentials);
    }
    let state = state::app_state()?;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| AppError::internal("request parts missing"))?;
    let ip = crate::backend::limits::client_ip(&parts.headers, &parts.extensions, state.limits.config().trust_forwarded_for);
    let (user, token) = auth::login(&state.pool, &state.limits, ip, username, &password).await?;
    let cookie = HeaderValue::from_str(&auth::session_cookie(&token, state.secure_cookies)).map_err(AppError::internal)?;
    expect_context::<leptos_axum::ResponseOptions>().append_header(SET_COOKIE, cookie);
    tracing::info!(user = %user.username, "staff signed in");
    leptos_axum::redirect("/console");
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::backend::{auth, state};
    use http::header::{HeaderValue, SET_COOKIE};

    let state = state::app_state()?;
    auth::logout(&state.pool, &state::request_headers()).await?;
    let cookie = HeaderValue::from_str(&auth::clear_session_cookie(state.secure_cookies)).map_err(AppError::internal)?;
    expect_context::<leptos_axum::ResponseOptions>().append_header(SET_COOKIE, cookie);
    leptos_axum::redirect("/console/login");
    Ok(())
}

/// The signed-in staff member, or `None`.
#[server(endpoint = "current_staff")]
pub async fn current_staff() -> Result<Option<StaffUser>, AppError> {
    let pool = crate::backend::state::pool()?;
    crate::backend::auth::session_user(&pool, &crate::backend::state::request_headers()).await
}
