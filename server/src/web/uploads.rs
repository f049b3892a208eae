//! Uploads: photos for a case or a guide walk (staff by session, customers
//! by their case token or submission id, in headers only) and an
//! organisation's logo (admins).

use app::backend::auth::SignedIn;
use app::backend::limits::{Caller, Class};
use app::backend::state::AppState;
use app::errors::AppError;
use app::models::Role;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::UPLOAD_LIMIT;

#[derive(serde::Deserialize)]
struct UploadQuery {
    /// Case number, e.g. FX-000123.
    #[serde(default)]
    case: String,
    /// Customers: the widget's organisation key.
    org: Option<String>,
    name: Option<String>,
    /// Secrets never travel in URLs (proxy logs keep them): these are
    /// refused, the header below is the only way.
    token: Option<String>,
    submission: Option<String>,
}

/// The customer's case token.
const TOKEN_HEADER: &str = "x-fixline-token";
/// The widget's submission id, for a photo taken during a guide walk.
const SUBMISSION_HEADER: &str = "x-fixline-submission";

/// A photo for a case, as the raw request body. Staff by session (a
/// technician only on a case dispatched to them); the customer by the case
/// token their widget kept, sent in `X-Fixline-Token`; during a guide walk,
/// by the widget's submission id in `X-Fixline-Submission`. The bytes decide
/// the type (JPEG, PNG, WebP); at most 5 MB. Answers `{"id": N}`.
pub(super) async fn photo(State(state): State<AppState>, req: Request) -> Response {
    use app::domain::lifecycle::Actor;
    let (parts, body) = req.into_parts();
    let Ok(axum::extract::Query(q)) = axum::extract::Query::<UploadQuery>::try_from_uri(&parts.uri) else {
        return AppError::BadRequest.into_response();
    };
    if q.token.is_some() || q.submission.is_some() {
        return AppError::BadRequest.into_response();
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (token, submission) = (header(TOKEN_HEADER), header(SUBMISSION_HEADER));
    if let Some(org) = &q.org {
        let ip = app::backend::limits::client_ip(&parts.headers, &parts.extensions, state.limits.config().trust_forwarded_for);
        if let Err(e) = state.limits.check(Class::Upload, Caller::from_headers(ip, &parts.headers), org) {
            return e.into_response();
        }
    }
    let body = match axum::body::to_bytes(body, UPLOAD_LIMIT).await {
        Ok(b) => b,
        Err(_) => return AppError::InvalidUpload { problem: app::errors::UploadProblem::TooLarge { max_kb: 5 * 1024 } }.into_response(),
    };
    let name = q.name.clone().unwrap_or_default();
    if let (Some(org), None, Some(submission)) = (&q.org, &token, &submission) {
        let stored = app::backend::attachments::upload_walk_photo(&state.pool, org, submission, &name, &body).await;
        release_after_upload(body);
        return match stored {
            Ok(id) => ([(header::CONTENT_TYPE, "application/json")], format!("{{\"id\":{id}}}")).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let who = match (&q.org, &token) {
        (Some(org), Some(token)) => match app::backend::cases::case_for_token(&state.pool, org, token).await {
            Ok(case_id) if Some(case_id) == app::domain::case_number::parse(&q.case) => Ok((case_id, Actor::Customer, None)),
            Ok(_) => Err(AppError::NotFound),
            Err(e) => Err(e),
        },
        (Some(_), None) => Err(AppError::NotFound),
        _ => match app::backend::auth::session_user(&state.pool, &parts.headers).await {
            Ok(Some(user)) => app::domain::case_number::parse(&q.case)
                .map(|id| (id, Actor::Staff { id: user.id }, Some(user.role)))
                .ok_or(AppError::NotFound),
            Ok(None) => Err(AppError::Unauthenticated),
            Err(e) => Err(e),
        },
    };
    let (case_id, by, role) = match who {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let stored = app::backend::attachments::upload_photo(&state.pool, case_id, &name, &body, by, role).await;
    release_after_upload(body);
    match stored {
        Ok(id) => ([(header::CONTENT_TYPE, "application/json")], format!("{{\"id\":{id}}}")).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Large bodies leave freed memory behind; give it back off the async
/// threads. Small ones are not worth a trim (it walks the whole heap).
fn release_after_upload(body: axum::body::Bytes) {
    let large = body.len() > 1024 * 1024;
    drop(body);
    if large {
        tokio::task::spawn_blocking(app::backend::limits::release_memory);
    }
}

#[derive(serde::Deserialize)]
pub(super) struct LogoQuery {
    org_id: i64,
}

/// An admin sets the logo of an organisation's widget: the image is the
/// body (`?org_id=…`). Answers `{"url": …}`, its new address.
pub(super) async fn logo(
    State(state): State<AppState>,
    staff: SignedIn,
    query: Result<axum::extract::Query<LogoQuery>, axum::extract::rejection::QueryRejection>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = staff.require(&[Role::Admin]) {
        return e.into_response();
    }
    let Ok(axum::extract::Query(LogoQuery { org_id })) = query else { return AppError::BadRequest.into_response() };
    match app::backend::settings::save_logo(&state.pool, org_id, Some(&body)).await {
        Ok(url) => {
            tracing::info!(org_id, size = body.len(), "widget logo saved");
            ([(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "url": url }).to_string()).into_response()
        }
        Err(e) => e.into_response(),
    }
}
