//! Middleware every request passes: refuse text the databases cannot
//! store, refuse cross-origin writes (CSRF), and add the security headers.
//! (Server-function errors set their own status: `AppError::ser`.)

use app::backend::state::AppState;
use app::errors::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::BODY_LIMIT;

/// Text the databases cannot store (NUL; PostgreSQL refuses it) or that is
/// not UTF-8 is refused at the edge with 400, before any handler runs: in
/// the URL of any request and in the body of API calls other than the
/// binary uploads.
pub(super) async fn refuse_unstorable_text(req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    if uri.contains("%00") || uri.bytes().any(|b| b.is_ascii_control()) {
        return AppError::BadRequest.into_response();
    }
    let path = req.uri().path();
    let binary = path == "/api/attachments" || path == "/api/org-logo";
    if !path.starts_with("/api/") || binary {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return AppError::InvalidUpload { problem: app::errors::UploadProblem::TooLarge { max_kb: (BODY_LIMIT / 1024) as u32 } }
            .into_response();
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return AppError::BadRequest.into_response();
    };
    if text.contains('\0') || text.contains("%00") || text.contains("\\u0000") {
        return AppError::BadRequest.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// CSRF guard: a state-changing request must come from our own origin.
/// Browsers send `Origin` (or at least `Sec-Fetch-Site`) on every POST, and
/// the session cookie is SameSite=Strict besides.
pub(super) async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST);
    let allowed = match text(header::ORIGIN) {
        Some(origin) => {
            let origin_host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            origin_host.is_some() && origin_host == host
        }
        None => !matches!(text(header::HeaderName::from_static("sec-fetch-site")), Some("cross-site" | "same-site")),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), origin = ?text(header::ORIGIN), "cross-origin write refused");
        AppError::Forbidden.into_response()
    }
}

/// Headers every response gets. Pages set their own strict CSP (scripts by
/// nonce); this adds who may frame them: nobody for the console, the
/// organisation's listed intranet origins for its widget.
pub(super) async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let widget_key = req.uri().path().strip_prefix("/widget/").map(|rest| rest.split('/').next().unwrap_or("").to_string());
    let mut res = next.run(req).await;
    let ancestors = match widget_key {
        Some(key) => match app::backend::orgs::frame_ancestors(&state.pool, &key).await {
            Ok(a) => a,
            Err(_) => "frame-ancestors 'none'".to_string(),
        },
        None => "frame-ancestors 'none'".to_string(),
    };
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if ancestors.ends_with("'none'") {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let policy = match h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
        Some(page) => format!("{page}; {ancestors}"),
        None => ancestors,
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}
