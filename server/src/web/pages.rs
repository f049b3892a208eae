//! Pages and streams outside the Leptos router: the customer widget's page
//! (rate-limited, its organisation looked up first), staff downloads, the
//! console's live stream, and health checks.

use std::time::Duration;

use app::backend::auth::SignedIn;
use app::backend::limits::{Caller, Class};
use app::backend::state::AppState;
use app::errors::AppError;
use app::routes::widget::WidgetBoot;
use app::widget_app::widget_shell;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;

/// The customer widget, rendered as `leptos_routes` renders the other pages
/// (whole page once its data has loaded, `AppState` in context for the
/// server functions it calls), in a document that loads the widget's bundle.
pub(super) async fn widget_page(State(state): State<AppState>, req: Request) -> Response {
    // The organisation is looked up before rendering and handed to the page
    // whole (`WidgetBoot`): the browser reads it from the page, not through a
    // server function.
    let org_key = app::widget_app::org_key_from_path(req.uri().path());
    let ip = app::backend::limits::client_ip(req.headers(), req.extensions(), state.limits.config().trust_forwarded_for);
    if let Err(e) = state.limits.check(Class::Read, Caller::page(ip), &org_key) {
        return busy_page(req.headers(), e);
    }
    let boot = match app::backend::orgs::widget_info(&state.pool, &org_key).await {
        Ok(info) => WidgetBoot::Ready(info),
        Err(AppError::NotFound) => WidgetBoot::NotFound,
        Err(e) => {
            tracing::error!(error = ?e, "widget page: organisation lookup failed");
            WidgetBoot::Failed
        }
    };
    let failed = boot == WidgetBoot::Failed;
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            provide_context(boot.clone());
        },
        move || widget_shell(options.clone()),
    );
    let mut res = handler(req).await;
    if failed {
        *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    res
}

/// A refused widget page is still a page (it opens in a frame or from a QR
/// code), in the browser's language, saying when to try again.
fn busy_page(headers: &HeaderMap, error: AppError) -> Response {
    let locale = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(app::i18n::Locale::from_accept_language)
        .unwrap_or_default();
    let message = app::i18n::LocaleTexts::texts(locale).error(&error);
    let body = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Fixline</title></head><body style=\"font-family:sans-serif;padding:1.5rem\"><p data-testid=\"widget-busy\">{}</p></body></html>",
        locale.tag(),
        html_escape(&message)
    );
    let mut res = error.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    (res.into_parts().0, body).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(super) async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.pool).await {
        Ok(_) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// 256 KB for the widget's connection check; never cached or compressed
/// (it would measure the wrong thing).
pub(super) async fn diagnostics_payload() -> Response {
    let body: Vec<u8> = (0..256 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    (
        [(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, "no-store"), (header::CONTENT_ENCODING, "identity")],
        body,
    )
        .into_response()
}

/// A guide version as a JSON file, for staff to edit and import again.
pub(super) async fn export_guide(
    State(state): State<AppState>,
    axum::extract::Path((id, version)): axum::extract::Path<(String, u32)>,
    _staff: SignedIn,
) -> Response {
    match app::backend::guides::find(&state.pool, &id, version).await {
        Ok(Some(g)) => {
            let body = serde_json::to_string_pretty(&*g).unwrap_or_default();
            let disposition = format!("attachment; filename=\"{}-v{}.json\"", g.id, g.version);
            ([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
        }
        Ok(None) => AppError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A case's photo or signature, for staff only.
pub(super) async fn staff_file(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    _staff: SignedIn,
) -> Response {
    match app::backend::attachments::attachment(&state.pool, id).await {
        Ok((mime, bytes)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "private, max-age=86400, immutable".into()),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".into()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// How often an open live stream checks that its session still stands.
const LIVE_SESSION_CHECK: Duration = Duration::from_secs(15);

/// Server-sent events for the console: one `case` event (the case number)
/// per change, on whichever instance it was made. The stream ends when the
/// session does (sign-out, expiry, deactivated account).
pub(super) async fn live_updates(State(state): State<AppState>, _staff: SignedIn, headers: HeaderMap) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let rx = state.live.subscribe();
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + LIVE_SESSION_CHECK, LIVE_SESSION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = futures::stream::unfold((rx, check, state.pool.clone(), headers), |(mut rx, mut check, pool, headers)| async move {
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(number) => {
                        let event = Event::default().event("case").data(number);
                        return Some((Ok::<_, std::convert::Infallible>(event), (rx, check, pool, headers)));
                    }
                    // Fell behind: tell the page to reload everything.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Ok(Event::default().event("case").data("*")), (rx, check, pool, headers)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                _ = check.tick() => {
                    // Signed out (or unknown): end. A database hiccup keeps the stream.
                    if let Ok(None) = app::backend::auth::session_user(&pool, &headers).await {
                        return None;
                    }
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
