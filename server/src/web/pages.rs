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

/// `?host=` of [`widget_check`].
#[derive(serde::Deserialize)]
pub(super) struct CheckQuery {
    #[serde(default)]
    host: String,
}

/// What `embed.js` asks before it opens the widget's frame: does the
/// organisation key exist, and may the host page frame it? A frame the
/// browser refuses (`frame-ancestors`) runs no script and cannot say why;
/// this answer can, so the host page's admin reads the reason in the
/// browser's console and the customer gets the hotline at once instead of
/// a dead frame. Readable from any origin; it tells nothing else.
pub(super) async fn widget_check(
    State(state): State<AppState>,
    axum::extract::Path(org_key): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<CheckQuery>,
    req: Request,
) -> Response {
    let ip = app::backend::limits::client_ip(req.headers(), req.extensions(), state.limits.config().trust_forwarded_for);
    let answer = |status: StatusCode, body: &'static str| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"), (header::CACHE_CONTROL, "no-store")],
            body,
        )
            .into_response()
    };
    if state.limits.check(Class::Read, Caller::page(ip), &org_key).is_err() {
        return answer(StatusCode::TOO_MANY_REQUESTS, r#"{"problem":"busy"}"#);
    }
    match app::backend::orgs::widget_info(&state.pool, &org_key).await {
        Ok(info) => {
            let host = app::domain::embedding::normalise_origin(&q.host);
            if host.is_some_and(|h| h == q.host && info.allowed_origins.contains(&h)) {
                answer(StatusCode::OK, r#"{"ok":true}"#)
            } else {
                answer(StatusCode::OK, r#"{"problem":"host_not_allowed"}"#)
            }
        }
        Err(AppError::NotFound) => answer(StatusCode::OK, r#"{"problem":"unknown_org"}"#),
        Err(e) => {
            tracing::error!(error = ?e, "widget check: organisation lookup failed");
            answer(StatusCode::SERVICE_UNAVAILABLE, r#"{"problem":"unavailable"}"#)
        }
    }
}

/// The report form posted by a browser that runs no scripts (the widget
/// needs them; with scripts the form never posts): a page saying so, with
/// the organisation's hotline. Nothing is stored.
pub(super) async fn widget_without_script(State(state): State<AppState>, req: Request) -> Response {
    let org_key = app::widget_app::org_key_from_path(req.uri().path());
    let ip = app::backend::limits::client_ip(req.headers(), req.extensions(), state.limits.config().trust_forwarded_for);
    if let Err(e) = state.limits.check(Class::Read, Caller::page(ip), &org_key) {
        return busy_page(req.headers(), e);
    }
    let locale = page_locale(req.headers());
    let hotline = match app::backend::orgs::widget_info(&state.pool, &org_key).await {
        Ok(info) => info.hotline,
        Err(_) => String::new(),
    };
    let t = app::i18n::LocaleTexts::texts(locale);
    let mut body = format!("<p data-testid=\"widget-needs-script\">{}</p>", html_escape(t.needs_script));
    if !hotline.is_empty() {
        let digits: String = hotline.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        body += &format!("<p>{}: <a href=\"tel:{}\">{}</a></p>", html_escape(t.hotline), html_escape(&digits), html_escape(&hotline));
    }
    (StatusCode::OK, plain_page(locale, &body)).into_response()
}

/// A refused widget page is still a page (it opens in a frame or from a QR
/// code), in the browser's language, saying when to try again.
fn busy_page(headers: &HeaderMap, error: AppError) -> Response {
    let locale = page_locale(headers);
    let message = app::i18n::LocaleTexts::texts(locale).error(&error);
    let body = plain_page(locale, &format!("<p data-testid=\"widget-busy\">{}</p>", html_escape(&message)));
    let mut res = body.into_response();
    // The error's status and headers (Retry-After), with this page's type.
    let (mut parts, _) = error.into_response().into_parts();
    parts.headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    *res.status_mut() = parts.status;
    *res.headers_mut() = parts.headers;
    res
}

fn page_locale(headers: &HeaderMap) -> app::i18n::Locale {
    app::language::headers_locale(headers)
}

/// A page of its own (no scripts, no stylesheet) around `body` (HTML).
fn plain_page(locale: app::i18n::Locale, body: &str) -> ([(header::HeaderName, &'static str); 1], String) {
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Fixline</title></head><body style=\"font-family:sans-serif;padding:1.5rem\">{body}</body></html>",
        locale.tag()
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)
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
